// The API's types in one import for the UI.
export type * from '../../../shared/api/index.js';
export type { ClientApi, ClientEvent, HostStatus, StagedFile } from '../../../shared/api/host.js';
