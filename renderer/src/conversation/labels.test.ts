import { describe, expect, it } from 'vitest';
import { type AppState, clearanceOf, initialState } from '../state/app-state.js';
import { fitLabel, labelOf, offeredLabels } from './labels.js';

describe('the labels the composer offers', () => {
  it('go from none up to the conversation’s clearance', () => {
    expect(offeredLabels('none', 'restricted')).toEqual(['none', 'restricted']);
    expect(offeredLabels('none', 'secret')).toEqual([
      'none',
      'restricted',
      'confidential',
      'secret',
    ]);
    expect(offeredLabels('none', 'none')).toEqual(['none']);
  });

  it('start at the label of the message a reply answers', () => {
    expect(offeredLabels('confidential', 'secret')).toEqual(['confidential', 'secret']);
    expect(offeredLabels('confidential', 'confidential')).toEqual(['confidential']);
    // Nothing fits (the clearance went down since): the engine will say why it refuses.
    expect(offeredLabels('secret', 'restricted')).toEqual(['secret']);
  });

  it('bring the label chosen within what is offered', () => {
    expect(fitLabel('none', ['confidential', 'secret'])).toBe('confidential');
    expect(fitLabel('secret', ['none', 'restricted'])).toBe('restricted');
    expect(fitLabel('restricted', ['none', 'restricted'])).toBe('restricted');
  });

  it('treat an absent label and none alike', () => {
    expect(labelOf({})).toBeNull();
    expect(labelOf({ classification: 'none' })).toBeNull();
    expect(labelOf({ classification: 'secret' })).toBe('secret');
  });
});

describe('a conversation’s clearance', () => {
  const account = {
    userId: 'amina',
    deviceId: 1,
    displayName: 'Amina',
    institution: 'Ministère',
    title: 'Conseillère',
    relayUrl: 'http://relay',
    clearance: 'confidential' as const,
    unit: '',
    managerId: null,
  };
  const contact = (userId: string, clearance: 'none' | 'restricted' | 'secret') => ({
    userId,
    displayName: userId,
    institution: 'Ministère',
    title: '',
    unit: '',
    managerId: null,
    devices: [],
    verified: false,
    identityChanged: false,
    clearance,
  });

  it('is the engine’s for a conversation that exists', () => {
    const state: AppState = {
      ...initialState,
      account,
      conversations: [
        {
          id: 'direct:benoit',
          kind: 'direct',
          title: 'Benoît',
          peerUserId: 'benoit',
          lastMessage: null,
          unreadCount: 0,
          draft: '',
          lastActivityAt: 0,
          expireSeconds: 0,
          clearance: 'restricted',
        },
      ],
    };
    expect(clearanceOf('direct:benoit', state)).toBe('restricted');
  });

  it('is the lower of mine and the peer’s for a 1:1 not created yet', () => {
    const state: AppState = {
      ...initialState,
      account,
      pendingDirect: {
        'direct:benoit': { userId: 'benoit', title: 'Benoît' },
        'direct:chantal': { userId: 'chantal', title: 'Chantal' },
      },
      contacts: [contact('benoit', 'secret'), contact('chantal', 'none')],
    };
    expect(clearanceOf('direct:benoit', state)).toBe('confidential');
    expect(clearanceOf('direct:chantal', state)).toBe('none');
    // Someone the directory does not list yet: the default clearance.
    expect(clearanceOf('direct:nobody', { ...state, pendingDirect: {} })).toBe('restricted');
  });
});
