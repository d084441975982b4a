/**
 * Path helpers for both platforms (node:path follows the host OS).
 * @module
 */
export { basename, dirname, isAbsolute, join, resolve } from "node:path";
export { fileURLToPath as fromFileUrl } from "node:url";
