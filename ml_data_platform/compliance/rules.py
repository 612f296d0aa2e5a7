"""Rule ids that the platform acknowledges in more than one place, named once."""

S3_REPLICATION = (
    "HIPAA.Security-S3BucketReplicationEnabled",
    "NIST.800.53.R5-S3BucketReplicationEnabled",
    "PCI.DSS.321-S3BucketReplicationEnabled",
)
S3_SERVER_ACCESS_LOGGING = (
    "AwsSolutions-S1",
    "HIPAA.Security-S3BucketLoggingEnabled",
    "NIST.800.53.R5-S3BucketLoggingEnabled",
    "PCI.DSS.321-S3BucketLoggingEnabled",
)
S3_DEFAULT_ENCRYPTION_KMS = (
    "HIPAA.Security-S3DefaultEncryptionKMS",
    "NIST.800.53.R5-S3DefaultEncryptionKMS",
    "PCI.DSS.321-S3DefaultEncryptionKMS",
)
IAM_NO_INLINE_POLICY = (
    "HIPAA.Security-IAMNoInlinePolicy",
    "NIST.800.53.R5-IAMNoInlinePolicy",
    "PCI.DSS.321-IAMNoInlinePolicy",
)
CLOUDWATCH_LOG_GROUP_ENCRYPTED = (
    "HIPAA.Security-CloudWatchLogGroupEncrypted",
    "NIST.800.53.R5-CloudWatchLogGroupEncrypted",
    "PCI.DSS.321-CloudWatchLogGroupEncrypted",
)
