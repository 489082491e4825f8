{{/*
Full name of the release's objects. The API server limits a CronJob's name
to 52 characters, so that the Jobs it creates (name, "-", 8 digits of minutes
since 1970) fit in 63 (61). In an Indexed Job each pod's hostname is the Job's
name, "-" and its index, also 63 at most: with 11 shards or more the index has
two digits, and the name one character less (51).
*/}}
{{- define "vungmanh.fullname" -}}
{{- $max := int (sub 53 (len (toString (sub (int .Values.sharding.shards) 1)))) -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc $max | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc $max | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "vungmanh.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "vungmanh.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "vungmanh.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "vungmanh.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}
