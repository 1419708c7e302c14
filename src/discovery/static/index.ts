export { refresh } from './refresh.js';
