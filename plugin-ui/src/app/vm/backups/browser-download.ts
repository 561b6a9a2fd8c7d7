import { DOCUMENT } from '@angular/common';
import { Injectable, inject } from '@angular/core';

/**
 * Starts a download the browser itself carries out: a hidden link with `download`, followed once.
 * The browser streams the file to disk and shows it in its downloads, and can resume it; the page
 * never holds its bytes. The server's Content-Disposition names the file.
 */
@Injectable({ providedIn: 'root' })
export class BrowserDownload {
  private readonly document = inject(DOCUMENT);

  start(url: string): void {
    const link = this.document.createElement('a');
    link.href = url;
    link.download = '';
    link.rel = 'noopener';
    link.hidden = true;
    this.document.body.appendChild(link);
    try {
      link.click();
    } finally {
      link.remove();
    }
  }
}
