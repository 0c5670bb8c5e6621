// The shell of the printable pages the engine writes (the record of acknowledgements,
// the attestation of a signed document): one self-contained A4 HTML document whose
// Content-Security-Policy forbids scripts and any fetch, in the house style. The
// callers escape every field they put in `body`.

const STYLE = `
  @page { size: A4; margin: 18mm; }
  body { font-family: "Segoe UI", Arial, sans-serif; color: #1b2430; max-width: 170mm; margin: 0 auto; }
  h1 { font-size: 18pt; color: #1a4a80; }
  table { border-collapse: collapse; width: 100%; margin: 4mm 0; }
  th, td { text-align: left; padding: 1.5mm 2mm; border-bottom: 1px solid #d5dbe3; vertical-align: top; }
  th { color: #4a5868; font-weight: 600; }
  .text { white-space: pre-wrap; }
  .mono { font-family: Consolas, "DejaVu Sans Mono", monospace; font-size: 9pt; word-break: break-all; }
  .invalid { color: #b3261e; font-weight: 700; }
  .method { font-size: 9pt; color: #4a5868; margin-top: 6mm; }
`;

export function printablePage(page: {
  readonly language: 'fr' | 'en';
  /** Plain text (no markup): the page's title, also its heading. */
  readonly title: string;
  /** Escaped HTML. */
  readonly body: string;
  /** Rules of this page only. */
  readonly style?: string;
}): string {
  return `<!doctype html>
<html lang="${page.language}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${page.title} — COMGOV Messenger</title>
<style>${STYLE}${page.style ?? ''}</style>
</head>
<body>
<h1>${page.title}</h1>
${page.body}
</body>
</html>
`;
}
