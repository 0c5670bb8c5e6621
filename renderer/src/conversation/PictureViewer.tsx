// A picture shown in the app, full size within the window: decrypted by the engine for
// this view only (nothing is written to the disk), with a button to download it.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AttachmentView } from '../api/types.js';
import { Button } from '../design/Button.js';
import { Dialog } from '../design/Dialog.js';
import { useController } from '../state/context.js';

export function PictureViewer({
  attachment,
  onDownload,
  onClose,
}: {
  attachment: AttachmentView;
  onDownload: () => void;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const controller = useController();
  const [url, setUrl] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    let live = true;
    void controller.viewAttachment(attachment.id).then((dataUrl) => {
      if (!live) return;
      if (dataUrl) setUrl(dataUrl);
      else setFailed(true);
    });
    return () => {
      live = false;
    };
  }, [controller, attachment.id]);

  return (
    <Dialog
      title={attachment.name}
      closeLabel={t('common.close')}
      onClose={onClose}
      className="picture-viewer"
      actions={
        <>
          <Button onClick={onDownload}>{t('message.download', { name: attachment.name })}</Button>
          <Button variant="primary" onClick={onClose}>
            {t('common.close')}
          </Button>
        </>
      }
    >
      {url ? (
        <img className="picture-full" src={url} alt={attachment.name} />
      ) : (
        <p className="muted" role="status">
          {failed ? t('viewer.failed') : t('viewer.loading')}
        </p>
      )}
    </Dialog>
  );
}
