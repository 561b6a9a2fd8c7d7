import { Router } from 'express';
import { openApiDocument } from '../openapi/document.js';

/**
 * GET /api/v1/openapi.json: the OpenAPI 3.1 document of the API (api/openapi/), for third-party
 * tools. It needs no session: it describes the routes, never what they hold.
 */
export function openApiRoutes(version: string): Router {
  const router = Router();
  const body = JSON.stringify(openApiDocument(version));
  router.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(body);
  });
  return router;
}
