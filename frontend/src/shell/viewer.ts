import { createContext, useContext } from "react";
import type { ViewerQuery } from "../gql/graphql";

/** The signed-in user as the shell loaded it. */
export type Viewer = ViewerQuery["viewer"];

const ViewerContext = createContext<Viewer | null>(null);

export const ViewerProvider = ViewerContext.Provider;

/** The signed-in viewer; only valid inside the signed-in shell. */
export function useViewer(): Viewer {
  const viewer = useContext(ViewerContext);
  if (viewer === null) {
    throw new Error("useViewer must be used inside the signed-in shell");
  }
  return viewer;
}
