{{- define "fluid-render.labels" -}}
app.kubernetes.io/name: fluid-render
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "fluid-render.syncer.selector" -}}
app.kubernetes.io/name: fluid-render
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: syncer
{{- end -}}

{{- define "fluid-render.syncer.image" -}}
{{ .Values.syncer.image.repository }}:{{ .Values.syncer.image.tag | default .Chart.AppVersion }}
{{- end -}}
