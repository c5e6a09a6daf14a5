// Talking to /api/v1 with the signed-in person's bearer token.
import { getSession } from './db.js';
import { lang } from './i18n.js';

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export async function api(path, { method = 'GET', body, token } = {}) {
  const session = token === undefined ? await getSession() : null;
  const headers = { 'Accept-Language': lang() === 'en' ? 'en' : 'zh-CN' };
  const bearer = token === undefined ? session && session.token : token;
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`/api/v1${path}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}
