import { Type } from '@fastify/type-provider-typebox';
import { ProblemSchema } from '../http/schemas.js';

/** The current user as the workspace and API clients read it. */
export const MeView = Type.Object({
  id: Type.String(),
  login: Type.String(),
  name: Type.String(),
  role: Type.String(),
  roleLabel: Type.String(),
  adminCode: Type.String(),
  scopePrefix: Type.String({ description: '可见的行政区代码前缀：省2位、市4位、县6位' }),
  township: Type.Union([Type.String(), Type.Null()]),
  session: Type.Union([
    Type.Null(),
    Type.Object({
      csrfToken: Type.String({ description: '以登录会话（Cookie）发出修改请求时放在X-CSRF-Token请求头中' }),
      expiresAt: Type.String({ format: 'date-time', description: '会话到期时间' }),
    }),
  ], { description: '以登录会话（Cookie）认证时的会话信息；以访问令牌认证时为null' }),
});

export const LoginBody = Type.Object(
  {
    login: Type.String({ minLength: 1, maxLength: 64, description: '登录名' }),
    password: Type.String({ minLength: 1, maxLength: 200, description: '密码' }),
  },
  { additionalProperties: false },
);

export const LoginRoute = {
  tags: ['auth'],
  summary: '登录工作台（登录名与密码），设置会话Cookie',
  description:
    '成功时设置HttpOnly、SameSite=Strict的会话Cookie，并返回当前用户与防跨站令牌（csrfToken）。以Cookie认证的修改请求须带同源Origin和X-CSRF-Token请求头。' +
    '失败一律答“登录名或密码错误”；同一登录名或同一地址在时间窗内失败次数过多时答429。',
  body: LoginBody,
  response: { 200: MeView, 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 429: ProblemSchema },
};

export const LogoutRoute = {
  tags: ['auth'],
  summary: '退出登录：注销会话并清除Cookie',
  description: '无会话时也答204。以会话Cookie调用时须带同源Origin和X-CSRF-Token请求头。',
  response: { 204: Type.Null(), 403: ProblemSchema },
};
