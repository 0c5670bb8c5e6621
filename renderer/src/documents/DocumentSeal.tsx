// Signed documents (« attestation d'intégrité ») in a conversation: the seal under a
// signed file (who signed it and when, checked by the engine on receipt) and its
// SHA-256 fingerprint, shown on demand in groups of eight for reading. A copy of
// the fingerprint is the 64 digits alone, as Windows prints them.
import { useTranslation } from 'react-i18next';
import type { DocumentSignatureView } from '../api/types.js';
import { Icon } from '../design/Icon.js';
import { formatDate, formatTime } from '../i18n/format.js';

/** The 64 hex digits in groups of eight (four to a line); selected and copied whole. */
export function Fingerprint({ sha256 }: { sha256: string }) {
  const groups = sha256.match(/.{1,8}/g) ?? [];
  return (
    <code className="fingerprint" data-testid="fingerprint" translate="no">
      {groups.map((group, i) => (
        <span key={i}>{group}</span>
      ))}
    </code>
  );
}

/** What a sentence about a signature needs: name, institution, date and time. */
export function signatureParts(document: DocumentSignatureView): {
  name: string;
  institution: string;
  date: string;
  time: string;
} {
  return {
    name: document.signerName,
    institution: document.signerInstitution,
    date: formatDate(document.signedAt),
    time: formatTime(document.signedAt),
  };
}

/** The seal under a signed file, on the sender's side and the recipients'. */
export function DocumentSeal({
  document,
  tabIndex,
}: {
  document: DocumentSignatureView;
  tabIndex: number;
}) {
  const { t } = useTranslation();
  const parts = signatureParts(document);
  return (
    <div className="document-seal" data-testid="document-seal" title={t('document.signedHint')}>
      <p className="document-seal-title">
        <Icon name="seal" />
        <span>{t('document.signed')}</span>
      </p>
      <p className="document-seal-by">
        {parts.institution
          ? t('document.signedBy', parts)
          : t('document.signedByNoInstitution', parts)}
      </p>
      <details className="document-fingerprint">
        <summary tabIndex={tabIndex}>{t('document.fingerprint')}</summary>
        <Fingerprint sha256={document.sha256} />
        <p className="document-seal-hint">{t('document.fingerprintHint')}</p>
      </details>
      <p className="document-seal-hint">{t('document.checkHint')}</p>
    </div>
  );
}
