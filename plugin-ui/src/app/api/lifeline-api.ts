import { HttpClient, HttpErrorResponse, HttpHeaders } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import type { Observable } from 'rxjs';

import { Messages } from '../i18n/messages';
import { HtmlClientSdkError, HtmlClientSdkService } from '../sdk/html-client-sdk';
import { readHealth, type Health } from './health';
import { readVcenterNames, type VcenterName } from './vcenter-name';
import { BROWSER_ERROR_CODES, LifelineApiError, toLifelineApiError, type ApiErrorTitles } from './lifeline-api-error';

export const SESSION_HEADER = 'vmware-api-session-id';
/** Names the vCenter a call is about, for a server that serves several. */
export const VCENTER_HEADER = 'lifeline-vc-guid';

/**
 * Reads a response body into a typed value, or returns null when the body is not what the
 * endpoint promises. Validation happens here, at the edge of the UI, not in the views.
 */
export type BodyReader<T> = (body: unknown) => T | null;

/**
 * The Lifeline server's REST API as the UI calls it: through the vCenter reverse proxy, with the
 * user's vSphere Client session token on every call, so the server acts with that user's own
 * vCenter session and privileges. Every call takes an AbortSignal; a view aborts what it started
 * when it goes away.
 */
@Injectable({ providedIn: 'root' })
export class LifelineApi {
  private readonly http = inject(HttpClient);
  private readonly sdk = inject(HtmlClientSdkService);
  private readonly messages = inject(Messages);

  private readonly titles: ApiErrorTitles = {
    unreachable: () => ({
      title: this.messages.text('api.unreachable.title'),
      detail: this.messages.text('api.unreachable.detail'),
    }),
    httpStatus: (status) => this.messages.text('api.failed.title', { status }),
  };

  health(signal?: AbortSignal): Promise<Health> {
    return this.get('/api/v1/health', readHealth, signal);
  }

  /**
   * The vCenter `vcGuid` as its own Lifeline server names it (the server the vSphere Client lists
   * for that vCenter, asked about that vCenter), whichever vCenter the view shows.
   */
  async vcenterNames(vcGuid: string, signal?: AbortSignal): Promise<VcenterName[]> {
    return this.request('GET', '/api/v1/vcenters', readVcenterNames, undefined, signal, vcGuid);
  }

  async get<T>(path: string, read: BodyReader<T>, signal?: AbortSignal): Promise<T> {
    return this.request('GET', path, read, undefined, signal);
  }

  post<T>(path: string, body: unknown, read: BodyReader<T>, signal?: AbortSignal): Promise<T> {
    return this.request('POST', path, read, body, signal);
  }

  put<T>(path: string, body: unknown, read: BodyReader<T>, signal?: AbortSignal): Promise<T> {
    return this.request('PUT', path, read, body, signal);
  }

  patch<T>(path: string, body: unknown, read: BodyReader<T>, signal?: AbortSignal): Promise<T> {
    return this.request('PATCH', path, read, body, signal);
  }

  /**
   * DELETE answers 204 without a body, or, for what a job undoes (detaching disks), 202 with the
   * job, which `read` then reads.
   */
  delete(path: string, signal?: AbortSignal): Promise<void>;
  delete<T>(path: string, signal: AbortSignal | undefined, read: BodyReader<T>): Promise<T>;
  async delete<T>(path: string, signal?: AbortSignal, read?: BodyReader<T>): Promise<T | void> {
    if (read === undefined) {
      await this.request('DELETE', path, () => true, undefined, signal);
      return;
    }
    return this.request('DELETE', path, read, undefined, signal);
  }

  /**
   * The absolute URL and headers of a call, for requests HttpClient cannot make: an event stream
   * has to be read while it arrives, and EventSource cannot send the session header.
   */
  async endpoint(path: string): Promise<{ url: string; headers: Record<string, string> }> {
    const [baseUrl, token] = await this.target();
    return { url: `${baseUrl}${path}`, headers: token === '' ? {} : { [SESSION_HEADER]: token } };
  }

  /**
   * The URL of a path on the Lifeline server as calls reach it (through the vCenter
   * reverse proxy): for links the browser follows itself, such as a download ticket's.
   */
  async url(path: string): Promise<string> {
    const [baseUrl] = await this.target();
    return `${baseUrl}${path}`;
  }

  /**
   * The server's proxied base URL (the one holding the context VM's vCenter, when the view has a
   * VM) and the user's session token. When the vSphere Client cannot give them (its callbacks
   * answered null, its session is gone), the failure becomes an API error every view shows.
   */
  private async target(about?: string): Promise<[string, string]> {
    try {
      // A VM view's own vCenter; a global view's chosen one (several vCenters, several servers).
      const vcGuid = about ?? this.sdk.contextVm()?.vcGuid ?? this.sdk.globalVcenter();
      return await Promise.all([this.sdk.backendBaseUrl(vcGuid), this.sdk.sessionToken()]);
    } catch (error) {
      if (error instanceof HtmlClientSdkError) {
        throw new LifelineApiError({ status: 0, title: this.messages.text('sdk.failed.title'), detail: error.message, code: BROWSER_ERROR_CODES.vsphereClient });
      }
      throw error;
    }
  }

  /** The titles the UI gives failures that carry no problem document. */
  errorTitles(): ApiErrorTitles {
    return this.titles;
  }

  private async request<T>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    read: BodyReader<T>,
    body: unknown,
    signal: AbortSignal | undefined,
    /** The vCenter the call is about, when not the view's: its server is called, and the header names it. */
    about?: string,
  ): Promise<T> {
    const [baseUrl, token] = await this.target(about);
    signal?.throwIfAborted();
    const url = `${baseUrl}${path}`;
    const headers = about === undefined ? this.headers(token) : this.headers(token).set(VCENTER_HEADER, about);
    const answer = await this.send(
      this.http.request<unknown>(method, url, { headers, ...(body === undefined ? {} : { body }) }),
      signal,
    );
    const value = read(answer);
    if (value === null) {
      throw new LifelineApiError({
        status: 200,
        title: this.messages.text('api.badResponse.title'),
        detail: `${method} ${path}`,
        code: BROWSER_ERROR_CODES.badResponse,
      });
    }
    return value;
  }

  private headers(token: string): HttpHeaders {
    const headers = new HttpHeaders({ Accept: 'application/json, application/problem+json' });
    // Outside the vSphere Client there is no session to send; the server answers only what needs none.
    return token === '' ? headers : headers.set(SESSION_HEADER, token);
  }

  private send<T>(request: Observable<T>, signal: AbortSignal | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const subscription = request.subscribe({
        next: resolve,
        error: (error: unknown) =>
          reject(error instanceof HttpErrorResponse ? toLifelineApiError(error, this.titles) : error),
      });
      // Unsubscribing cancels the XMLHttpRequest, so an aborted call costs the server nothing more.
      signal?.addEventListener(
        'abort',
        () => {
          subscription.unsubscribe();
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }
}
