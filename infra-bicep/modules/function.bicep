// The function app on the Flex Consumption plan (FC1, Linux, Python 3.13): HTTPS only, TLS 1.2,
// no FTP or basic publishing credentials, the user-assigned identity for everything.
param name string
param location string
param tags object
param identityId string
param identityClientId string
param storageName string
param blobEndpoint string
param queueEndpoint string
param tableEndpoint string
param deploymentContainerName string
@description('The queue of delivery requests (storage.bicep makes it and its poison queue).')
param deliveryQueueName string
param insightsConnectionString string
param keyVaultUri string
@minValue(512)
param instanceMemoryMB int
@minValue(1)
param maximumInstanceCount int
@description('Flex Consumption runs Python 3.13 and later only on this plan (not on Linux Consumption).')
param pythonVersion string
@description('The organisations document as JSON text (main.bicep writes string(organisations)).')
param organisationsJson string
param deliverySchedule string
param deliveryGraceMinutes int
param staleExtractDays int
param outcomeRetentionDays int
param subnetId string = ''

// Scale and memory. Flex Consumption scales per function: the HTTP functions share instances,
// so does the blob trigger (Event Grid source), and each queue-triggered function (deliver_one,
// deliver_poison) and the timer get instances of their own. A queue function scales on the
// length of its queue (target-based: waiting messages divided by host.json queues.batchSize, at
// most four instances added at a time), so with one delivery message per instance at a time the
// memory of an instance holds one delivery (at most 100 MB) or one validation (~110 MB at 1M
// rows) next to the worker: 512 MB suffices. maximumInstanceCount counts the instances of all
// functions together and so also caps the deliveries, and the SFTP sessions, open at once.
resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  // checkov:skip=CKV_AZURE_225: Flex Consumption zone redundancy is region-dependent; a missed tick during a zone outage is caught up by the next one (same day, once).
  name: '${name}-plan'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  // checkov:skip=CKV_AZURE_222: Event Grid must reach the blob extension webhook and the uptime monitor /api/status; every route needs a function or admin key over HTTPS.
  // checkov:skip=CKV_AZURE_17: Event Grid webhooks and availability tests cannot present client certificates; access is by function/admin keys.
  // checkov:skip=CKV_AZURE_212: Flex Consumption scales from zero by design; the timer and Event Grid wake the app, a daily batch needs no warm standby.
  // checkov:skip=CKV_AZURE_213: The only health endpoint (/api/status) answers 503 on business state (an organisation late or held), which must alert people, not take instances out of rotation; availability.bicep polls it and alerts.
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    virtualNetworkSubnetId: empty(subnetId) ? null : subnetId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      // Scale and memory: see the note above the plan.
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'python'
        version: pythonVersion
      }
    }
  }

  resource settings 'config' = {
    // checkov:skip=CKV_AZURE_222: See the site: public endpoint needed for Event Grid and monitoring, protected by keys.
    // checkov:skip=CKV_AZURE_66: Request tracing is App Service (Windows) diagnostics; on Flex Consumption requests and failures go to Application Insights.
    // checkov:skip=CKV_AZURE_63: HTTP logs go to Application Insights (requests table); App Service HTTP logging does not apply to Flex Consumption.
    // checkov:skip=CKV_AZURE_65: Detailed error pages are an App Service (IIS) feature; errors are in Application Insights, responses stay terse JSON.
    // checkov:skip=CKV_AZURE_80: Not a .NET app (Python 3.13).
    // checkov:skip=CKV_AZURE_13: App Service Authentication would block the Event Grid webhook; routes use function keys (status) and the admin key (actions).
    // checkov:skip=CKV_AZURE_88: Flex Consumption has no Azure Files content share; the package lives in a blob container reached by managed identity.
    name: 'appsettings'
    properties: {
      // Identity-based runtime storage: no account key, no connection string. The same
      // connection (AzureWebJobsStorage) serves the queue triggers of deliver_one and
      // deliver_poison through queueServiceUri, and the code's own QueueClient (enqueue) reads
      // queueServiceUri and AZURE_CLIENT_ID; a user-assigned identity needs credential and
      // clientId here, or the host and the scale controller cannot get a token for the queues.
      AzureWebJobsStorage__accountName: storageName
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identityClientId
      AzureWebJobsStorage__blobServiceUri: blobEndpoint
      AzureWebJobsStorage__queueServiceUri: queueEndpoint
      AzureWebJobsStorage__tableServiceUri: tableEndpoint
      APPLICATIONINSIGHTS_CONNECTION_STRING: insightsConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
      AZURE_CLIENT_ID: identityClientId
      VISH_KEY_VAULT_URL: keyVaultUri
      VISH_ORGANISATIONS_JSON: organisationsJson
      VISH_DELIVERY_QUEUE: deliveryQueueName
      VISH_DELIVERY_SCHEDULE: deliverySchedule
      VISH_DELIVERY_GRACE_MINUTES: string(deliveryGraceMinutes)
      VISH_STALE_EXTRACT_DAYS: string(staleExtractDays)
      VISH_OUTCOME_RETENTION_DAYS: string(outcomeRetentionDays)
      VISH_LOG_LEVEL: 'INFO'
    }
  }
}

resource ftp 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2023-12-01' = {
  parent: app
  name: 'ftp'
  location: location // without it ARM answers "The parameter location has an invalid value"
  properties: {
    allow: false
  }
}

resource scm 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2023-12-01' = {
  parent: app
  name: 'scm'
  location: location // without it ARM answers "The parameter location has an invalid value"
  properties: {
    allow: false
  }
}

output name string = app.name
output hostName string = app.properties.defaultHostName
