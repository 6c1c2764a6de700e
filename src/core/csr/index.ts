/** CSR decoding, review and display helpers: pure, no cluster access, no VS Code. */
export { decodeCsrPem, requestPemFromSpec, type DecodeResult } from './decode';
export { reviewCsr, worstVerdict, DEFAULT_MAX_DURATION_SECONDS, type ReviewOptions } from './review';
export { summarizeRequest, reviewReasons, escapeMarkdown, type RequestSummary } from './summary';
export {
  shortSignerName,
  formatAge,
  humanDuration,
  formatLifetime,
  SIGNER_KUBELET_SERVING,
  SIGNER_KUBELET_CLIENT,
  SIGNER_APISERVER_CLIENT,
  SIGNER_LEGACY_UNKNOWN,
} from './format';
