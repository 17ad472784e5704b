import type { CodegenConfig } from "@graphql-codegen/cli";

// Types every operation in src/**/*.graphql against the server's schema
// files. The output in src/gql/ is committed, so a build needs no server.
const config: CodegenConfig = {
  overwrite: true,
  schema: ["../graph/*.graphqls", "../graph/ent.graphql"],
  documents: ["src/**/*.graphql"],
  ignoreNoDocuments: false,
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: {
        fragmentMasking: false,
      },
      config: {
        documentMode: "string",
        enumsAsTypes: true,
        useTypeImports: true,
        strictScalars: true,
        scalars: {
          Cursor: "string",
          Time: "string",
        },
      },
    },
  },
};

export default config;
