import { createApp } from 'vue';
import 'maplibre-gl/dist/maplibre-gl.css';
import 'element-plus/theme-chalk/base.css';
import './app.css';
import App from './App.vue';
import { startRequests } from './api';
import { prewarmMap } from './map/map';

// The first load's requests go out together: the session, and on the overview (the default view)
// its layer list, tile collections and map settings; MapLibre's worker starts meanwhile.
const overviewFirst = !location.hash || location.hash === '#/overview' || location.hash === '#/';
startRequests(['/api/v1/me', '/workspace.json', ...(overviewFirst ? ['/api/v1/layers', '/ogc/collections'] : [])]);
prewarmMap();

createApp(App).mount('#app');
