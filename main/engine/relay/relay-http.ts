// The engine's HTTP client for the relay: enrolment, directory, prekeys. Every
// request after enrolment is signed with the device's identity key
// (shared/wire/client-auth.ts); replies are protobuf, decoded strictly; failures
// come back as RelayRequestError with the relay's code and sentence. Requests go
// through undici's fetch, whose agent takes the authorities the relay's certificate
// may come from (relay-trust.ts).
import type { DescMessage, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import { Agent, type Response, fetch } from 'undici';
import {
  type DeviceCredentials,
  DelegationUpdateSchema,
  DirectorySchema,
  EnrolRequestSchema,
  EnrolResponseSchema,
  PrekeyBundlesSchema,
  PrekeyStatusSchema,
  PrekeyUploadSchema,
  UserProfileSchema,
  WIRE_LIMITS,
  decodeStrict,
  encode,
  signHttpRequest,
} from '../../../shared/wire/index.js';
import { type RelayCa, caOption, isCertificateError } from './relay-trust.js';

const PROTOBUF = 'application/x-protobuf';
const REQUEST_TIMEOUT_MS = 30_000;
const MAX_REPLY_BYTES = 16 * 1024 * 1024;
/** The largest reply decoded: a directory of many thousands of people fits. */
const REPLY_LIMIT = Math.max(MAX_REPLY_BYTES, WIRE_LIMITS.maxHttpBodyBytes);

/** A refusal or failure of the relay, with its stable code. */
export class RelayRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'RelayRequestError';
  }

  /** Network failures and 5xx answers are worth retrying; 4xx refusals are not. */
  get retryable(): boolean {
    return this.status === 0 || this.status >= 500 || this.code === 'RATE_LIMITED';
  }
}

/** One agent per list of extra authorities, shared like fetch's global one. */
const agents = new Map<string, Agent>();

function agentFor(relayCa: RelayCa | undefined): Agent | undefined {
  const ca = caOption(relayCa);
  if (!ca) return undefined;
  const key = ca.join('');
  let agent = agents.get(key);
  if (!agent) {
    agent = new Agent({ connect: { ca } });
    agents.set(key, agent);
  }
  return agent;
}

export class RelayHttp {
  private readonly dispatcher: Agent | undefined;

  constructor(
    readonly baseUrl: string,
    private readonly credentials: DeviceCredentials | null,
    relayCa?: RelayCa,
  ) {
    this.dispatcher = agentFor(relayCa);
  }

  enrol(request: MessageInitShape<typeof EnrolRequestSchema>) {
    return this.call(
      'POST',
      '/v1/enrol',
      EnrolResponseSchema,
      encode(EnrolRequestSchema, request),
      false,
    );
  }

  /**
   * The whole directory, or null when it is still the one tagged `etag` (the relay
   * answers 304 and sends nothing: a ministry's directory is hundreds of kilobytes).
   */
  async directory(
    etag: string | null = null,
  ): Promise<{ directory: MessageShape<typeof DirectorySchema>; etag: string | null } | null> {
    const response = await this.request(
      'GET',
      '/v1/directory',
      undefined,
      true,
      etag ? { 'if-none-match': etag } : {},
    );
    if (response.status === 304) return null;
    return {
      directory: decodeStrict(DirectorySchema, response.bytes, REPLY_LIMIT),
      etag: response.etag,
    };
  }

  user(userId: string) {
    return this.call('GET', `/v1/users/${encodeURIComponent(userId)}`, UserProfileSchema);
  }

  /**
   * Claims one bundle per active device of `userId`, or only of `devices` (each one-time
   * prekey is handed out once; the relay never returns this device's own bundle).
   */
  prekeyBundles(userId: string, devices?: readonly number[]) {
    const only = devices && devices.length > 0 ? `?devices=${devices.join(',')}` : '';
    return this.call(
      'POST',
      `/v1/users/${encodeURIComponent(userId)}/prekey-bundles${only}`,
      PrekeyBundlesSchema,
      new Uint8Array(0),
    );
  }

  /** Declares my absence and who answers for me (an empty delegate ends it). */
  setDelegation(update: MessageInitShape<typeof DelegationUpdateSchema>) {
    return this.call(
      'PUT',
      '/v1/users/self/delegation',
      UserProfileSchema,
      encode(DelegationUpdateSchema, update),
    );
  }

  prekeyStatus() {
    return this.call('GET', '/v1/devices/self/prekeys', PrekeyStatusSchema);
  }

  uploadPrekeys(upload: MessageInitShape<typeof PrekeyUploadSchema>) {
    return this.call(
      'PUT',
      '/v1/devices/self/prekeys',
      PrekeyStatusSchema,
      encode(PrekeyUploadSchema, upload),
    );
  }

  private async call<Desc extends DescMessage>(
    method: string,
    path: string,
    schema: Desc,
    body?: Uint8Array,
    signed = true,
  ): Promise<MessageShape<Desc>> {
    const response = await this.request(method, path, body, signed);
    return decodeStrict(schema, response.bytes, REPLY_LIMIT);
  }

  /** Sends a request; a failed one (but 304) throws RelayRequestError with the relay's code. */
  private async request(
    method: string,
    path: string,
    body?: Uint8Array,
    signed = true,
    extraHeaders: Record<string, string> = {},
  ): Promise<{ status: number; etag: string | null; bytes: Uint8Array }> {
    const headers: Record<string, string> = { accept: PROTOBUF, ...extraHeaders };
    if (body) headers['content-type'] = PROTOBUF;
    if (signed) {
      if (!this.credentials)
        throw new RelayRequestError('NOT_AUTHENTICATED', 'This device is not enrolled.', 401);
      Object.assign(headers, signHttpRequest(this.credentials, method, path, body));
    }
    let response: Response;
    try {
      response = await fetch(new URL(path, this.baseUrl), {
        method,
        headers,
        ...(body ? { body: new Uint8Array(body) as Uint8Array<ArrayBuffer> } : {}),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
      });
    } catch (error) {
      if (isCertificateError(error)) {
        throw new RelayRequestError(
          'RELAY_CERTIFICATE_UNTRUSTED',
          `The certificate of the relay at ${this.baseUrl} is not trusted on this computer (${describeCause(error)}).`,
          0,
        );
      }
      throw new RelayRequestError(
        'RELAY_UNREACHABLE',
        `The relay at ${this.baseUrl} cannot be reached (${describeCause(error)}).`,
        0,
      );
    }
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (!response.ok && response.status !== 304) {
      let code = 'INTERNAL';
      let message = `The relay answered ${response.status}.`;
      try {
        const json = JSON.parse(new TextDecoder().decode(bytes)) as {
          code?: unknown;
          message?: unknown;
        };
        if (typeof json.code === 'string') code = json.code;
        if (typeof json.message === 'string') message = json.message;
      } catch {
        // Not a JSON error body: keep the generic sentence.
      }
      throw new RelayRequestError(code, message, response.status);
    }
    return { status: response.status, etag: response.headers.get('etag'), bytes };
  }
}

/** fetch says "fetch failed"; what failed is in its cause. */
function describeCause(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  return ((cause instanceof Error ? cause : error) as Error).message;
}
