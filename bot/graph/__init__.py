"""Microsoft Graph ingestion: the only package that imports msgraph-sdk, kiota and azure-identity."""
