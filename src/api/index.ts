export * from './common.js';
export * from './app-template.js';
export * from './app-install.js';
export * from './app-revision.js';
export * from './app-upgrade.js';
export * from './app-rollback.js';
export * from './plan.js';
export * from './bundle-manifest.js';
