import { describe, expect, it } from 'vitest';
import { MAIN_TEXTS, notificationContent } from './main-texts.js';

describe('notifications', () => {
  it('leave the text out unless the person chose to show it', () => {
    expect(notificationContent(MAIN_TEXTS.fr, 'Bernard', 'Le budget', false)).toEqual({
      title: 'Bernard',
      body: 'Nouveau message',
    });
    expect(notificationContent(MAIN_TEXTS.fr, 'Bernard', 'Le budget', true)).toEqual({
      title: 'Bernard',
      body: 'Le budget',
    });
  });

  it('never show the text of a labelled message, whatever the setting: they name the label', () => {
    expect(
      notificationContent(MAIN_TEXTS.fr, 'Bernard', 'Le budget', true, 'confidential'),
    ).toEqual({ title: 'Bernard', body: 'Message Confidentiel' });
    expect(notificationContent(MAIN_TEXTS.fr, 'Bernard', null, false, 'restricted')).toEqual({
      title: 'Bernard',
      body: 'Message Diffusion restreinte',
    });
    expect(notificationContent(MAIN_TEXTS.en, 'Bernard', 'The budget', true, 'secret')).toEqual({
      title: 'Bernard',
      body: 'Secret message',
    });
    // Unmarked: as any message.
    expect(notificationContent(MAIN_TEXTS.fr, 'Bernard', 'Le budget', true, 'none')).toEqual({
      title: 'Bernard',
      body: 'Le budget',
    });
  });

  it('have the same texts in French and English', () => {
    expect(Object.keys(MAIN_TEXTS.en).sort()).toEqual(Object.keys(MAIN_TEXTS.fr).sort());
  });
});
