import packageJson from '../package.json' with { type: 'json' }

/** The version of @provisio/http, as published: `/health`, the OpenAPI documents and `provisio --version` report it. */
export const version: string = packageJson.version
