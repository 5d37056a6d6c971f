{{/* Names and labels shared by every object of the chart. */}}
{{- define "spillway-member.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "spillway-member.serviceAccountName" -}}
{{- default (include "spillway-member.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "spillway-member.selectorLabels" -}}
app.kubernetes.io/name: spillway-member
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: resource-policy-controller
{{- end -}}

{{- define "spillway-member.labels" -}}
{{ include "spillway-member.selectorLabels" . }}
app.kubernetes.io/part-of: spillway
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "spillway-member.image" -}}
{{ .Values.image.repository }}:{{ default .Chart.AppVersion .Values.image.tag }}
{{- end -}}

{{/* helm, certManager or secret: what tls.source resolves to in this cluster. */}}
{{- define "spillway-member.tlsSource" -}}
{{- $s := .Values.webhook.tls.source -}}
{{- if eq $s "auto" -}}
{{- if .Capabilities.APIVersions.Has "cert-manager.io/v1" -}}certManager{{- else -}}helm{{- end -}}
{{- else if has $s (list "helm" "certManager" "secret") -}}
{{- $s -}}
{{- else -}}
{{- fail (printf "webhook.tls.source must be auto, helm, certManager or secret, not %q" $s) -}}
{{- end -}}
{{- end -}}

{{- define "spillway-member.tlsSecretName" -}}
{{- if eq (include "spillway-member.tlsSource" .) "secret" -}}
{{- required "webhook.tls.secretName is required with webhook.tls.source=secret" .Values.webhook.tls.secretName -}}
{{- else -}}
{{- printf "%s-webhook-tls" (include "spillway-member.fullname" .) -}}
{{- end -}}
{{- end -}}
