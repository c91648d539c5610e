import { GROUP_VERSION } from '../api/index.js';

/**
 * Object references without the Kubernetes client: code that only names objects (the CLI's
 * export and import commands, bundle import) imports this, so loading it never loads
 * @kubernetes/client-node (about 55 MiB of memory).
 */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name?: string;
}

export const ferryRef = (kind: string, namespace?: string, name?: string): ObjectRef => ({
  apiVersion: GROUP_VERSION,
  kind,
  namespace,
  name,
});

const PLURALS: Record<string, string> = {
  Namespace: 'namespaces',
  ConfigMap: 'configmaps',
  Secret: 'secrets',
  Service: 'services',
  Ingress: 'ingresses',
  HTTPRoute: 'httproutes',
  PersistentVolumeClaim: 'persistentvolumeclaims',
  PersistentVolume: 'persistentvolumes',
  Pod: 'pods',
  Node: 'nodes',
  Event: 'events',
  ServiceAccount: 'serviceaccounts',
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  ReplicaSet: 'replicasets',
  ControllerRevision: 'controllerrevisions',
  Job: 'jobs',
  Lease: 'leases',
  CustomResourceDefinition: 'customresourcedefinitions',
  Role: 'roles',
  RoleBinding: 'rolebindings',
  ClusterRole: 'clusterroles',
  ClusterRoleBinding: 'clusterrolebindings',
  AppTemplate: 'apptemplates',
  AppInstall: 'appinstalls',
  AppRevision: 'apprevisions',
  AppUpgrade: 'appupgrades',
  AppRollback: 'approllbacks',
  AppMarket: 'appmarkets',
};
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'PersistentVolume',
  'Node',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
  'AppTemplate',
  'AppMarket',
]);

/** REST path of a kind (collection when ref.name is absent). */
export function resourcePath(ref: ObjectRef): string {
  const plural = PLURALS[ref.kind];
  if (!plural) throw new Error(`unknown kind ${ref.kind}`);
  const base = ref.apiVersion.includes('/') ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`;
  const ns =
    !CLUSTER_SCOPED.has(ref.kind) && ref.namespace ? `/namespaces/${encodeURIComponent(ref.namespace)}` : '';
  const name = ref.name ? `/${encodeURIComponent(ref.name)}` : '';
  return `${base}${ns}/${plural}${name}`;
}
