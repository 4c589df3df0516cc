// OpenAI-shaped error bodies: every error the simulator sends is built here.

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export function errorBody(message: string, type: string, param: string | null, code: string | null): string {
  const body: OpenAIErrorBody = { error: { message, type, param, code } };
  return JSON.stringify(body);
}

export function invalidRequest(message: string, param: string | null, code: string | null = null): string {
  return errorBody(message, 'invalid_request_error', param, code);
}

export const INVALID_JSON_BODY = invalidRequest(
  "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload.)",
  null,
);

export function missingParam(param: string): string {
  return invalidRequest(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter');
}

export function invalidParam(param: string, expected: string): string {
  return invalidRequest(`Invalid value for '${param}': expected ${expected}.`, param, 'invalid_value');
}

export function invalidApiKey(): string {
  return invalidRequest('Incorrect API key provided.', null, 'invalid_api_key');
}

export function unknownUrl(method: string, path: string): string {
  return invalidRequest(
    `Unknown request URL: ${method} ${path}. Please check the URL for typos.`,
    null,
    'unknown_url',
  );
}

export function methodNotAllowed(method: string, path: string): string {
  return invalidRequest(`Method ${method} is not allowed for ${path}.`, null, 'method_not_allowed');
}

const INJECTED_MESSAGES: Record<number, string> = {
  429: 'Rate limit reached for requests. Please try again later.',
  500: 'The server had an error while processing your request. Sorry about that!',
  502: 'Bad gateway.',
  503: 'The engine is currently overloaded, please try again later.',
};

/** The body of an injected (or enforced rate-limit) error with this status. */
export function injectedError(status: number): string {
  const message = INJECTED_MESSAGES[status] ?? `Simulated upstream error ${status}.`;
  if (status === 429) return errorBody(message, 'requests', null, 'rate_limit_exceeded');
  if (status >= 500) return errorBody(message, 'server_error', null, null);
  return errorBody(message, 'invalid_request_error', null, null);
}
