/**
 * Lifeline's UI strings in US English, the reference locale: every other locale's table has the
 * same keys. `{name}` marks a parameter the caller fills in.
 */
export const MESSAGES_EN_US = {
  'vm.context.none': 'Open this view from a virtual machine in the vSphere Client.',
  'vm.context.identity': 'Virtual machine {moref} on vCenter Server {vcGuid}',
  'vm.notProtected': 'Lifeline is not yet protecting this VM.',
  'vm.backups.none': 'There are no restore points for this VM.',
  'vm.attachedDisks.none': 'No backup disks are attached to this VM.',
  'dashboard.server': 'Lifeline server',
  'dashboard.server.loading': 'Contacting the Lifeline server…',
  'dashboard.server.status': 'Status',
  'dashboard.server.version': 'Version',
  'dashboard.server.failed': 'The Lifeline server did not answer.',
  'notFound.text': 'This Lifeline view does not exist. The plugin may be newer or older than this page.',
  'api.unreachable.title': 'The Lifeline server cannot be reached',
  'api.unreachable.detail': 'The request did not reach the Lifeline server through the vCenter reverse proxy.',
  'api.failed.title': 'The Lifeline server answered with HTTP status {status}',
  'api.badResponse.title': 'The Lifeline server sent an answer Lifeline does not understand',
} as const;

export type MessageKey = keyof typeof MESSAGES_EN_US;
export type MessageTable = Readonly<Record<MessageKey, string>>;
