// The controller reaches components through a React context.
import { createContext, useContext } from 'react';
import type { AppState } from './app-state.js';
import type { Controller } from './controller.js';
import { useStore } from './store.js';

export const ControllerContext = createContext<Controller | null>(null);

export function useController(): Controller {
  const controller = useContext(ControllerContext);
  if (!controller) throw new Error('useController outside <ControllerContext.Provider>');
  return controller;
}

export function useAppState<T>(select: (state: AppState) => T): T {
  return useStore(useController().store, select);
}
