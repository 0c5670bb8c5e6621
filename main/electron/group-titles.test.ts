import { describe, expect, it } from 'vitest';
import type { ConversationView, Result } from '../../shared/api/index.js';
import { GroupTitles } from './group-titles.js';

function conversation(id: string, kind: 'direct' | 'group', title: string): ConversationView {
  return {
    id,
    kind,
    title,
    peerUserId: kind === 'direct' ? id.slice('direct:'.length) : null,
    lastMessage: null,
    unreadCount: 0,
    draft: '',
    lastActivityAt: 0,
    expireSeconds: 0,
    clearance: 'none',
  };
}

describe('group names for notifications', () => {
  it('reads the list once for many messages, names groups only, and reads again after a change', async () => {
    let reads = 0;
    let name = 'Comité budgétaire';
    const titles = new GroupTitles(async (): Promise<Result<readonly ConversationView[]>> => {
      reads++;
      return {
        ok: true,
        value: [
          conversation('direct:bernard', 'direct', 'Bernard'),
          conversation('group:g1', 'group', name),
        ],
      };
    });
    // A catch-up: many messages of the group at once.
    const names = await Promise.all(Array.from({ length: 50 }, () => titles.title('group:g1')));
    expect(new Set(names)).toEqual(new Set(['Comité budgétaire']));
    expect(reads).toBe(1);
    expect(await titles.title('direct:bernard')).toBeUndefined();
    expect(reads).toBe(1);
    // Renamed: the engine says the conversation changed.
    name = 'Comité du budget 2027';
    titles.forget('group:g1');
    expect(await titles.title('group:g1')).toBe('Comité du budget 2027');
    expect(reads).toBe(2);
  });

  it('names nothing when the engine cannot list, and tries again next time', async () => {
    let fail = true;
    const titles = new GroupTitles(async () =>
      fail
        ? ({ ok: false, error: { code: 'INTERNAL', message: 'not ready' } } as const)
        : { ok: true, value: [conversation('group:g1', 'group', 'Cabinet')] },
    );
    expect(await titles.title('group:g1')).toBeUndefined();
    fail = false;
    expect(await titles.title('group:g1')).toBe('Cabinet');
  });
});
