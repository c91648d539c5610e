/** An RFC 3339 timestamp in UTC with second precision, the form Kubernetes itself writes (metav1.Time). */
export const rfc3339 = (date: Date): string => date.toISOString().replace(/\.\d+Z$/, 'Z');
