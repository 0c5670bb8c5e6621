// Run by direct-get.test.ts in a process that trusts a test certificate
// (NODE_EXTRA_CA_CERTS, read at start): fetches a range into a part file, through
// fetchRange or with a held-back writer, and prints the outcome and the part's digest.
import {
  fetchRange,
  judgeHead,
  type BlobRangeRequest,
} from '../../main/engine/attachments/blob-fetch.js';
import { fetchDirect } from '../../main/engine/attachments/direct-get.js';
import { PartWriter } from '../../main/engine/attachments/part-writer.js';
import { ready } from '../../shared/crypto/index.js';
import { heldBack } from './held-back-writer.js';

const { request, part, holdBack } = JSON.parse(process.argv[2]!) as {
  request: BlobRangeRequest;
  part: string;
  holdBack: boolean;
};
await ready();
const writer = await PartWriter.open(part, 0);
const outcome = holdBack
  ? await fetchDirect(request, heldBack(writer), (head) => judgeHead(head, request))
  : await fetchRange(request, writer);
const digest = Buffer.from(await writer.finish()).toString('hex');
console.log(JSON.stringify({ outcome, digest }));
