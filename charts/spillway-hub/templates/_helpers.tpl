{{/* Names and labels shared by every object of the chart. */}}
{{- define "spillway-hub.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "spillway-hub.selectorLabels" -}}
app.kubernetes.io/name: spillway-hub
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Call with (dict "root" $ "component" "fleet-controller"). */}}
{{- define "spillway-hub.labels" -}}
{{ include "spillway-hub.selectorLabels" . }}
app.kubernetes.io/part-of: spillway
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{- define "spillway-hub.image" -}}
{{ .Values.image.repository }}:{{ default .Chart.AppVersion .Values.image.tag }}
{{- end -}}

{{- define "spillway-hub.dedicated" -}}
{{- if eq .Values.hub.mode "dedicated" -}}true{{- else if eq .Values.hub.mode "external" -}}{{- else -}}
{{- fail (printf "hub.mode must be dedicated or external, not %q" .Values.hub.mode) -}}
{{- end -}}
{{- end -}}

{{/* external mode without a kubeconfig: the fleet controller runs in the hub itself. */}}
{{- define "spillway-hub.inCluster" -}}
{{- if and (not (include "spillway-hub.dedicated" .)) (not .Values.hub.external.kubeconfigSecret) -}}true{{- end -}}
{{- end -}}

{{/* Namespace inside the hub of the leader Lease and of member kubeconfig Secrets. */}}
{{- define "spillway-hub.hubNamespace" -}}
{{- if include "spillway-hub.inCluster" . -}}{{ .Release.Namespace }}{{- else -}}{{ .Values.hub.namespace }}{{- end -}}
{{- end -}}

{{- define "spillway-hub.fleetServiceAccount" -}}
{{- default (printf "%s-fleet-controller" (include "spillway-hub.fullname" .)) .Values.fleetController.serviceAccount.name -}}
{{- end -}}

{{- define "spillway-hub.apiserverHost" -}}
{{- printf "%s-apiserver.%s.svc" (include "spillway-hub.fullname" .) .Release.Namespace -}}
{{- end -}}

{{- define "spillway-hub.podSecurityContext" -}}
# Pod Security "restricted": non-root, seccomp; containers drop every capability.
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "spillway-hub.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
{{- end -}}

{{- define "spillway-hub.scheduling" -}}
{{- with .root.Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .root.Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .root.Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .root.Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .root.Values.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- range . }}
  - {{ toYaml . | nindent 4 | trim }}
    labelSelector:
      matchLabels:
        {{- include "spillway-hub.selectorLabels" $ | nindent 8 }}
  {{- end }}
{{- end }}
{{- end -}}

{{/*
The fleet controller's rights on the hub, cluster-wide. Rendered into a ClusterRole in the
host cluster (external mode, in-cluster) or into the manifest the bootstrap Job applies to the
dedicated hub. Each rule says why it is needed.
*/}}
{{- define "spillway-hub.fleetControllerRules" -}}
# The cluster registry reads MemberClusters, writes their Ready condition and capacity, and
# patches them only to add and remove its finalizer (copies leave a member before it is forgotten).
- apiGroups: [fleet.spillway.dev]
  resources: [memberclusters]
  verbs: [get, list, watch, patch]
- apiGroups: [fleet.spillway.dev]
  resources: [memberclusters/status]
  verbs: [patch, update]
# Policies are read only; status carries their conditions, matchedTemplates and affinityGroups
# (override policies: the copies they apply to and whether every overrider applied).
- apiGroups: [policy.one.alibabacloud.com]
  resources:
    [propagationpolicies, clusterpropagationpolicies, overridepolicies, clusteroverridepolicies]
  verbs: [get, list, watch]
- apiGroups: [policy.one.alibabacloud.com]
  resources:
    - propagationpolicies/status
    - clusterpropagationpolicies/status
    - overridepolicies/status
    - clusteroverridepolicies/status
  verbs: [patch, update]
# One ResourceBinding per template: server-side applied (create/patch), deleted with its policy.
- apiGroups: [fleet.spillway.dev]
  resources: [resourcebindings]
  verbs: [get, list, watch, create, patch, update, delete]
- apiGroups: [fleet.spillway.dev]
  resources: [resourcebindings/status]
  verbs: [patch, update]
# WorkloadRebalancers (one-shot rebalance home): read, status written, deleted after
# ttlSecondsAfterFinished; each asks the bindings it names through an annotation (patch above).
- apiGroups: [fleet.spillway.dev]
  resources: [workloadrebalancers]
  verbs: [get, list, watch, delete]
- apiGroups: [fleet.spillway.dev]
  resources: [workloadrebalancers/status]
  verbs: [patch, update]
# Resource templates of every kind a policy may name (fleetController.templateResources): watched
# cluster-wide, patched only to add and remove Spillway's finalizer and its placement
# annotation (fleet.spillway.dev/placement). This is the one broad
# right: policies may select templates in any namespace. Secrets are not in the default list.
{{- range .Values.fleetController.templateResources }}
- apiGroups: {{ toJson .apiGroups }}
  resources: {{ toJson .resources }}
  verbs: [get, list, watch, patch, update]
{{- end }}
# A hub workload's status is the aggregate of its member copies (kubectl get deploy: 4/4), for
# the kinds whose status Spillway sums (docs/fleet-controller.md, per kind).
- apiGroups: [apps]
  resources: [deployments/status, statefulsets/status, replicasets/status, daemonsets/status]
  verbs: [patch, update]
- apiGroups: [batch]
  resources: [jobs/status, cronjobs/status]
  verbs: [patch, update]
# Whether a template's namespace is being deleted (its member copies then go with it).
- apiGroups: ['']
  resources: [namespaces]
  verbs: [get]
# Events on templates and policies (Scheduled, ProvisioningRequested, Conflict, ...).
- apiGroups: ['']
  resources: [events]
  verbs: [create, patch]
{{- end -}}

{{/* Rights in the hub namespace only: member kubeconfig Secrets (read) and the leader Lease. */}}
{{- define "spillway-hub.fleetControllerNamespaceRules" -}}
# MemberCluster.spec.kubeconfigSecretRef must name a Secret in this namespace: nowhere else can
# the controller read Secrets.
- apiGroups: ['']
  resources: [secrets]
  verbs: [get]
# Leader election. create cannot be limited by name (the object does not exist yet).
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  verbs: [create]
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  resourceNames: [spillway-fleet-controller]
  verbs: [get, update]
{{- end -}}
