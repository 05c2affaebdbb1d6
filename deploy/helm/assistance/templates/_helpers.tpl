{{/*
Naming
*/}}
{{- define "assistance.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "assistance.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "assistance.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Name of one service's objects: <fullname>-<service>.
Usage: include "assistance.componentName" (dict "root" $ "name" "intake")
*/}}
{{- define "assistance.componentName" -}}
{{- printf "%s-%s" (include "assistance.fullname" .root | trunc 50 | trimSuffix "-") .name }}
{{- end }}

{{/*
The services in a fixed order: the chart only knows these six (the schema refuses others).
*/}}
{{- define "assistance.serviceNames" -}}
intake assessment approval disbursement referral household
{{- end }}

{{/*
Labels. Usage: include "assistance.labels" (dict "root" $ "component" "intake")
*/}}
{{- define "assistance.selectorLabels" -}}
app.kubernetes.io/name: {{ include "assistance.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end }}

{{- define "assistance.labels" -}}
{{ include "assistance.selectorLabels" . }}
app.kubernetes.io/version: {{ include "assistance.version" .root | quote }}
app.kubernetes.io/part-of: {{ include "assistance.name" .root }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ include "assistance.chart" .root }}
{{- end }}

{{- define "assistance.version" -}}
{{- default .Chart.AppVersion .Values.image.tag | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "assistance.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{- define "assistance.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "assistance.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "assistance.configMapName" -}}
{{- include "assistance.fullname" . }}-config
{{- end }}

{{- define "assistance.kafkaUsesSasl" -}}
{{- if hasPrefix "SASL_" .Values.global.kafka.securityProtocol }}true{{ end }}
{{- end }}

{{- define "assistance.kafkaUsesTls" -}}
{{- if has .Values.global.kafka.securityProtocol (list "SSL" "SASL_SSL") }}true{{ end }}
{{- end }}

{{/*
The Secret with the Kafka CA bundle, when TLS is used and one is given (else empty).
*/}}
{{- define "assistance.kafkaCaSecret" -}}
{{- if include "assistance.kafkaUsesTls" . }}{{ .Values.global.kafka.tls.existingSecret }}{{ end }}
{{- end }}

{{- define "assistance.kafkaCaDir" -}}
/etc/assistance/kafka-ca
{{- end }}

{{/*
The non-secret settings shared by all services (ASSISTANCE_<KEY>, see docs/CONVENTIONS.md), as a
YAML map. The ConfigMap holds them for the Deployments; the migration Jobs get them inline because
pre-install hooks run before the ConfigMap exists.
*/}}
{{- define "assistance.sharedSettings" -}}
{{- $g := .Values.global -}}
ASSISTANCE_ENVIRONMENT: {{ $g.environment | quote }}
ASSISTANCE_LOG_LEVEL: {{ $g.logLevel | quote }}
ASSISTANCE_BUS: "kafka"
ASSISTANCE_KAFKA_BOOTSTRAP_SERVERS: {{ $g.kafka.bootstrapServers | quote }}
ASSISTANCE_KAFKA_SECURITY_PROTOCOL: {{ $g.kafka.securityProtocol | quote }}
{{- if include "assistance.kafkaUsesSasl" . }}
ASSISTANCE_KAFKA_SASL_MECHANISM: {{ required "global.kafka.sasl.mechanism is required with SASL_* security protocols" $g.kafka.sasl.mechanism | quote }}
{{- end }}
{{- if include "assistance.kafkaCaSecret" . }}
ASSISTANCE_KAFKA_SSL_CAFILE: {{ printf "%s/%s" (include "assistance.kafkaCaDir" .) $g.kafka.tls.caKey | quote }}
{{- end }}
ASSISTANCE_TOPIC_PREFIX: {{ $g.kafka.topicPrefix | quote }}
ASSISTANCE_TOPIC_PARTITIONS: {{ $g.kafka.topicPartitions | quote }}
ASSISTANCE_TOPIC_REPLICATION_FACTOR: {{ $g.kafka.topicReplicationFactor | quote }}
{{- if $.Values.services.referral.enabled }}
REFERRAL_PARTNER_KAFKA_TOPIC_DEFAULT: {{ $g.kafka.partnerTopics | default "own" | quote }}
{{- end }}
ASSISTANCE_AUDIT_CHECKPOINT_INTERVAL_SECONDS: {{ $g.audit.checkpointIntervalSeconds | quote }}
ASSISTANCE_AUDIT_CHECKPOINT_RETENTION_MS: {{ $g.audit.checkpointRetentionMs | int64 | quote }}
{{- with $g.auth.jwksUrl }}
ASSISTANCE_AUTH_JWKS_URL: {{ . | quote }}
{{- end }}
{{- with $g.auth.issuer }}
ASSISTANCE_AUTH_ISSUER: {{ . | quote }}
{{- end }}
{{- with $g.auth.audience }}
ASSISTANCE_AUTH_AUDIENCE: {{ . | quote }}
{{- end }}
ASSISTANCE_AUTH_DEV_ISSUER: "false"
{{- if $.Values.services.intake.enabled }}
{{- $peers := dict }}
{{- range $name := include "assistance.serviceNames" . | splitList " " }}
{{- if and (ne $name "intake") (index $.Values.services $name).enabled }}
{{- $_ := set $peers $name (printf "http://%s" (include "assistance.componentName" (dict "root" $ "name" $name))) }}
{{- end }}
{{- end }}
INTAKE_PEER_URLS: {{ toJson $peers | quote }}
{{- end }}
{{- with $g.otel.endpoint }}
ASSISTANCE_OTEL_EXPORTER_OTLP_ENDPOINT: {{ . | quote }}
{{- end }}
{{- end }}

{{- define "assistance.secretKeyRef" -}}
valueFrom:
  secretKeyRef:
    name: {{ .secret }}
    key: {{ .key }}
{{- end }}

{{/*
Environment variables read from existing Secrets: the service's database URL (the runtime role), the Kafka
SASL credentials, the encryption and audit keys; the Jobs (mode "migrate", "db-roles") also get the owner
role's URL, the roles Job the administrator's. A service pod never sees the owner's credentials.
Usage: include "assistance.secretEnv" (dict "root" $ "name" "intake" "mode" "serve")
*/}}
{{- define "assistance.secretEnv" -}}
{{- $g := .root.Values.global -}}
{{- $db := (index .root.Values.services .name).database | default dict -}}
{{- $dbSecret := default $g.database.existingSecret $db.existingSecret -}}
- name: {{ upper .name }}_DATABASE_URL
  {{- include "assistance.secretKeyRef" (dict
      "secret" (required (printf "services.%s.database.existingSecret or global.database.existingSecret is required" .name) $dbSecret)
      "key" (default (printf "%s-database-url" .name) $db.secretKey)) | nindent 2 }}
{{- if has (default "serve" .mode) (list "migrate" "db-roles") }}
- name: {{ upper .name }}_MIGRATION_DATABASE_URL
  {{- include "assistance.secretKeyRef" (dict
      "secret" $dbSecret
      "key" (default (printf "%s-migration-database-url" .name) $db.migrationSecretKey)) | nindent 2 }}
{{- end }}
{{- if eq (default "serve" .mode) "db-roles" }}
{{- $roles := .root.Values.databaseRoles }}
- name: ASSISTANCE_DATABASE_ADMIN_URL
  {{- include "assistance.secretKeyRef" (dict
      "secret" (required "databaseRoles.adminSecret is required when databaseRoles.enabled" $roles.adminSecret)
      "key" $roles.adminSecretKey) | nindent 2 }}
{{- end }}
{{- if include "assistance.kafkaUsesSasl" .root }}
{{- $sasl := $g.kafka.sasl }}
{{- $saslSecret := required "global.kafka.sasl.existingSecret is required with SASL_* security protocols" $sasl.existingSecret }}
- name: ASSISTANCE_KAFKA_SASL_USERNAME
  {{- include "assistance.secretKeyRef" (dict "secret" $saslSecret "key" $sasl.secretKeys.username) | nindent 2 }}
- name: ASSISTANCE_KAFKA_SASL_PASSWORD
  {{- include "assistance.secretKeyRef" (dict "secret" $saslSecret "key" $sasl.secretKeys.password) | nindent 2 }}
{{- end }}
{{- with $g.encryption.existingSecret }}
- name: ASSISTANCE_ENCRYPTION_KEYS
  {{- include "assistance.secretKeyRef" (dict "secret" . "key" $g.encryption.secretKeys.encryptionKeys) | nindent 2 }}
- name: ASSISTANCE_BLIND_INDEX_KEY
  {{- include "assistance.secretKeyRef" (dict "secret" . "key" $g.encryption.secretKeys.blindIndexKey) | nindent 2 }}
- name: ASSISTANCE_AUDIT_KEYS
  {{- include "assistance.secretKeyRef" (dict "secret" . "key" $g.encryption.secretKeys.auditKeys) | nindent 2 }}
{{- end }}
{{- end }}

{{/*
The disbursement service's SFTP hand-off to the bank (docs/bank-file.md), when services.<name>.bankSftp.host
is set: its settings as env, the private key from an existing Secret mounted read-only. Empty otherwise.
Usage: include "assistance.bankSftp" (dict "root" $ "name" "disbursement"), likewise bankSftpEnv.
*/}}
{{- define "assistance.bankSftp" -}}
{{- $svc := index .root.Values.services .name -}}
{{- if and (eq .name "disbursement") $svc.bankSftp $svc.bankSftp.host }}true{{ end }}
{{- end }}

{{- define "assistance.bankSftpDir" -}}
/etc/assistance/bank-sftp
{{- end }}

{{- define "assistance.bankSftpEnv" -}}
{{- $b := (index .root.Values.services .name).bankSftp -}}
{{- if $b.counties }}
- name: DISBURSEMENT_BANK_HANDOFF_COUNTIES
  value: {{ $dict := dict }}{{ range $b.counties }}{{ $_ := set $dict . "sftp" }}{{ end }}{{ $dict | toJson | quote }}
{{- else }}
- name: DISBURSEMENT_BANK_HANDOFF
  value: "sftp"
{{- end }}
- name: DISBURSEMENT_BANK_SFTP_HOST
  value: {{ $b.host | quote }}
- name: DISBURSEMENT_BANK_SFTP_PORT
  value: {{ $b.port | quote }}
- name: DISBURSEMENT_BANK_SFTP_USER
  value: {{ required "services.disbursement.bankSftp.user is required with bankSftp.host" $b.user | quote }}
- name: DISBURSEMENT_BANK_SFTP_HOST_KEY_FINGERPRINTS
  value: {{ required "services.disbursement.bankSftp.hostKeyFingerprints (the pinned host key) is required with bankSftp.host" $b.hostKeyFingerprints | quote }}
- name: DISBURSEMENT_BANK_SFTP_KEY_FILE
  value: {{ printf "%s/%s" (include "assistance.bankSftpDir" .root) $b.privateKeyKey | quote }}
- name: DISBURSEMENT_BANK_SFTP_INBOX_DIR
  value: {{ $b.inboxDir | quote }}
- name: DISBURSEMENT_BANK_SFTP_OUTBOX_DIR
  value: {{ $b.outboxDir | quote }}
- name: DISBURSEMENT_BANK_SFTP_POLL_SECONDS
  value: {{ $b.pollSeconds | quote }}
{{- end }}

{{/*
The pod template of one service, shared by its Deployment (mode "serve") and its migration Job
(mode "migrate"). Usage: include "assistance.podTemplate" (dict "root" $ "name" "intake" "mode" "serve")
*/}}
{{- define "assistance.podTemplate" -}}
{{- $root := .root -}}
{{- $svc := index $root.Values.services .name -}}
{{- $serve := eq .mode "serve" -}}
{{- $jobs := dict "migrate" "migrations" "db-roles" "db-roles" "retention" "retention" -}}
{{- $component := ternary .name (printf "%s-%s" .name (get $jobs .mode)) $serve -}}
metadata:
  labels:
    {{- include "assistance.labels" (dict "root" $root "component" $component) | nindent 4 }}
  annotations:
    {{- if $serve }}
    checksum/config: {{ include (print $root.Template.BasePath "/configmap.yaml") $root | sha256sum }}
    {{- end }}
    {{- with $root.Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
    kubectl.kubernetes.io/default-container: {{ .name }}
spec:
  {{- if or $serve (not $root.Values.serviceAccount.create) }}
  serviceAccountName: {{ include "assistance.serviceAccountName" $root }}
  {{- end }}
  automountServiceAccountToken: {{ $root.Values.serviceAccount.automountServiceAccountToken }}
  {{- with $root.Values.image.pullSecrets }}
  imagePullSecrets:
    {{- range . }}
    - name: {{ . }}
    {{- end }}
  {{- end }}
  securityContext:
    {{- toYaml $root.Values.podSecurityContext | nindent 4 }}
  {{- if $serve }}
  terminationGracePeriodSeconds: {{ $root.Values.terminationGracePeriodSeconds }}
  {{- else }}
  restartPolicy: Never
  {{- end }}
  containers:
    - name: {{ .name }}
      image: {{ include "assistance.image" $root }}
      imagePullPolicy: {{ $root.Values.image.pullPolicy }}
      args:
        - {{ .name }}
        {{- if $serve }}
        - serve
        - --host
        - 0.0.0.0
        - --port
        - "8000"
        {{- else }}
        - {{ .mode }}
        {{- end }}
      {{- if $serve }}
      envFrom:
        - configMapRef:
            name: {{ include "assistance.configMapName" $root }}
      {{- end }}
      env:
        {{- if not $serve }}
        {{- range $key, $value := include "assistance.sharedSettings" $root | fromYaml }}
        - name: {{ $key }}
          value: {{ $value | quote }}
        {{- end }}
        {{- end }}
        {{- include "assistance.secretEnv" (dict "root" $root "name" .name "mode" .mode) | nindent 8 }}
        {{- if and $serve (include "assistance.bankSftp" .) }}
        {{- include "assistance.bankSftpEnv" . | nindent 8 }}
        {{- end }}
        {{- with $svc.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- if $serve }}
      ports:
        - name: http
          containerPort: 8000
          protocol: TCP
      startupProbe:
        httpGet:
          path: /healthz
          port: http
        periodSeconds: 2
        timeoutSeconds: 2
        failureThreshold: 30
      livenessProbe:
        httpGet:
          path: /healthz
          port: http
        periodSeconds: 10
        timeoutSeconds: 2
        failureThreshold: 3
      readinessProbe:
        httpGet:
          path: /readyz
          port: http
        periodSeconds: 5
        timeoutSeconds: 3
        failureThreshold: 3
      resources:
        {{- toYaml $svc.resources | nindent 8 }}
      {{- else }}
      resources:
        {{- toYaml (ternary $root.Values.retention.resources $root.Values.migrations.resources (eq .mode "retention")) | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $root.Values.securityContext | nindent 8 }}
      volumeMounts:
        - name: tmp
          mountPath: /tmp
        {{- if include "assistance.kafkaCaSecret" $root }}
        - name: kafka-ca
          mountPath: {{ include "assistance.kafkaCaDir" $root }}
          readOnly: true
        {{- end }}
        {{- if and $serve (include "assistance.bankSftp" .) }}
        - name: bank-sftp-key
          mountPath: {{ include "assistance.bankSftpDir" $root }}
          readOnly: true
        {{- end }}
  volumes:
    - name: tmp
      emptyDir:
        sizeLimit: {{ $root.Values.tmpSizeLimit }}
    {{- if include "assistance.kafkaCaSecret" $root }}
    - name: kafka-ca
      secret:
        secretName: {{ include "assistance.kafkaCaSecret" $root }}
        items:
          - key: {{ $root.Values.global.kafka.tls.caKey }}
            path: {{ $root.Values.global.kafka.tls.caKey }}
    {{- end }}
    {{- if and $serve (include "assistance.bankSftp" .) }}
    {{- $bank := $svc.bankSftp }}
    - name: bank-sftp-key
      secret:
        secretName: {{ required "services.disbursement.bankSftp.existingSecret (the private key) is required with bankSftp.host" $bank.existingSecret }}
        defaultMode: 0440
        items:
          - key: {{ $bank.privateKeyKey }}
            path: {{ $bank.privateKeyKey }}
    {{- end }}
  {{- with $svc.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $svc.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $svc.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
