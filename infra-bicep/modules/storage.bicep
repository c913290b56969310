// Storage account for the runtime and the data: identity-only access, no public blobs, TLS 1.2,
// soft delete and versioning, the containers and table the code uses, and a lifecycle policy
// that deletes personal data after configurable days (privacy by retention).
param name string
param location string
param tags object
@description('Principal that gets data access (the function app identity).')
param principalId string
param deploymentContainerName string
param quarantineDays int
param reportsDays int
param outboxDays int
param extractsDays int
param softDeleteDays int
@description('The queue of delivery requests (the app setting VISH_DELIVERY_QUEUE carries the same name); its poison queue is this name plus -poison.')
@minLength(3)
@maxLength(56)
param deliveryQueueName string

var containerNames = [
  'extracts'
  'quarantine'
  'snapshots'
  'reports'
  'outbox'
  'locks'
  deploymentContainerName
]

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  // checkov:skip=CKV_AZURE_35: Organisations upload extracts from their own networks and Event Grid delivers from Azure; shared keys are disabled, so every access is Entra ID + RBAC.
  // checkov:skip=CKV_AZURE_59: Same: the endpoint is reachable but anonymous access and shared keys are off; no blob is public.
  // checkov:skip=CKV_AZURE_206: ZRS keeps BSN data inside one EU region (data residency); geo-replication to a paired region is a policy choice for the municipality.
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_ZRS'
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
    encryption: {
      keySource: 'Microsoft.Storage'
      requireInfrastructureEncryption: true
      services: {
        blob: { enabled: true, keyType: 'Account' }
        file: { enabled: true, keyType: 'Account' }
        queue: { enabled: true, keyType: 'Account' }
        table: { enabled: true, keyType: 'Account' }
      }
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    isVersioningEnabled: true
    deleteRetentionPolicy: {
      enabled: true
      days: softDeleteDays
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: softDeleteDays
    }
  }
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [for container in containerNames: {
  parent: blobService
  name: container
  properties: {
    publicAccess: 'None'
  }
}]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource outcomesTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = {
  parent: tableService
  name: 'outcomes'
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

// Deliveries scale out over a queue: the timer (deliver_daily) puts one message per due
// organisation and day on it, and deliver_one (a queue trigger on the AzureWebJobsStorage
// connection, by identity) delivers that one organisation, on as many instances as the queue
// asks for. A message that failed maxDequeueCount times is moved by the Functions host to the
// queue of the same name plus '-poison' (the host's fixed convention), where deliver_poison
// records a failed delivery for that organisation. Both are made here, so that the first
// enqueue, the trigger's first poll and the host's first move find them, and so that the
// deployment shows what exists. A message holds an organisation code and a day: no personal data.
resource deliveryQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: deliveryQueueName
}

resource deliveryPoisonQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: '${deliveryQueueName}-poison'
}

// Personal data does not stay longer than needed: incoming extracts, quarantine, reports and the
// outbox (proof of what was sent) expire; older versions and soft-deleted copies go too.
resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'expire-extracts'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: { blobTypes: [ 'blockBlob' ], prefixMatch: [ 'extracts/' ] }
            actions: {
              baseBlob: { delete: { daysAfterModificationGreaterThan: extractsDays } }
              version: { delete: { daysAfterCreationGreaterThan: extractsDays } }
            }
          }
        }
        {
          name: 'expire-quarantine'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: { blobTypes: [ 'blockBlob' ], prefixMatch: [ 'quarantine/' ] }
            actions: {
              baseBlob: { delete: { daysAfterModificationGreaterThan: quarantineDays } }
              version: { delete: { daysAfterCreationGreaterThan: quarantineDays } }
            }
          }
        }
        {
          name: 'expire-reports'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: { blobTypes: [ 'blockBlob' ], prefixMatch: [ 'reports/' ] }
            actions: {
              baseBlob: { delete: { daysAfterModificationGreaterThan: reportsDays } }
              version: { delete: { daysAfterCreationGreaterThan: reportsDays } }
            }
          }
        }
        {
          name: 'expire-outbox'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: { blobTypes: [ 'blockBlob' ], prefixMatch: [ 'outbox/' ] }
            actions: {
              baseBlob: { delete: { daysAfterModificationGreaterThan: outboxDays } }
              version: { delete: { daysAfterCreationGreaterThan: outboxDays } }
            }
          }
        }
        {
          name: 'expire-locks'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: { blobTypes: [ 'blockBlob' ], prefixMatch: [ 'locks/' ] }
            actions: {
              baseBlob: { delete: { daysAfterModificationGreaterThan: 7 } }
            }
          }
        }
        {
          name: 'expire-old-snapshot-versions'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: { blobTypes: [ 'blockBlob' ], prefixMatch: [ 'snapshots/' ] }
            actions: {
              version: { delete: { daysAfterCreationGreaterThan: quarantineDays } }
            }
          }
        }
      ]
    }
  }
}

// Least privilege for the function app identity, next to the resource it grants.
// Storage Queue Data Contributor covers every queue need of the app: the trigger of deliver_one
// and deliver_poison (Microsoft's minimum: Storage Queue Data Reader + Message Processor), the
// code's own enqueue (Message Sender) and the host moving a message to the poison queue (send,
// and create the queue if it were missing). It stays on the whole account, not on the two
// delivery queues: the blob trigger (validate_extract, Event Grid source) keeps queues of its
// own on the AzureWebJobsStorage account whatever its connection (such as its poison queue
// 'webjobs-blobtrigger-poison', named by the host), and Microsoft lists Storage Queue Data
// Contributor on that account for it. Narrowing to the queue service would change nothing
// (the account holds no other queues) and narrowing to the delivery queues would break that.
var roles = {
  blobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // Storage Blob Data Owner (runtime + leases)
  queueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88' // Storage Queue Data Contributor (see above)
  tableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3' // Storage Table Data Contributor
}

resource roleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in items(roles): {
  scope: storage
  name: guid(storage.id, principalId, role.value)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role.value)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]

output id string = storage.id
output name string = storage.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output queueEndpoint string = storage.properties.primaryEndpoints.queue
output tableEndpoint string = storage.properties.primaryEndpoints.table
output deliveryQueueName string = deliveryQueue.name
output deliveryPoisonQueueName string = deliveryPoisonQueue.name
