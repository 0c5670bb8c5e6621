// Escaping text for the HTML documents the tools write (enrolment slips, acknowledgement
// reports): every field a person or a peer chose goes through here, so none can become
// markup.
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}
