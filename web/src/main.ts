import { createApp } from 'vue';
import 'maplibre-gl/dist/maplibre-gl.css';
import 'element-plus/theme-chalk/base.css';
import './app.css';
import App from './App.vue';

createApp(App).mount('#app');
