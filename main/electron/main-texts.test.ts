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

  it('have the same texts in French and English', () => {
    expect(Object.keys(MAIN_TEXTS.en).sort()).toEqual(Object.keys(MAIN_TEXTS.fr).sort());
  });
});
