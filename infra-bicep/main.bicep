// vish-bridge: everything the functions need in a municipality's subscription.
// Composes small modules; role assignments live next to the resources they grant.
targetScope = 'resourceGroup'

@description('Short environment name (azd environment), used in resource names.')
@minLength(2)
@maxLength(12)
param environmentName string

param location string = resourceGroup().location

@description('E-mail address that receives the alerts (late or failed delivery, status 503).')
param alertEmail string

@description('The organisations document (see README): codes, SFTP targets, secret names. An object, so that azd parses VISH_ORGANISATIONS_JSON as JSON instead of pasting its text into the parameters file; the app setting gets string(organisations).')
param organisations object

@description('Who deploys: gets Key Vault Secrets Officer to put the SFTP secrets in (azd fills AZURE_PRINCIPAL_ID; deploy.sh the signed-in account). Empty: no one.')
param principalId string = ''

@allowed([ 'User', 'Group', 'ServicePrincipal' ])
param principalType string = 'User'

@description('deployer: whoever deploys (principalId) gets Key Vault Secrets Officer, which can also read the secrets; none: nobody (put the secrets in another way, e.g. a role granted for a moment).')
@allowed([ 'deployer', 'none' ])
param secretsOfficer string = 'deployer'

@description('Part of the Key Vault name. Purge protection keeps a deleted vault (and its name) for 90 days: to start a fresh vault instead of recovering the old one (README, "A second deployment after azd down"), set another value.')
@maxLength(12)
param keyVaultNameSeed string = ''

@description('Instance memory of the Flex Consumption app. 512 MB covers a 1M-row extract (peak ~110 MB) and one delivery (peak at most 100 MB): Flex Consumption scales each queue-triggered function on instances of its own, and host.json takes one delivery message per instance at a time. Take 2048 before letting one instance run several deliveries at once.')
@allowed([ 512, 2048, 4096 ])
param instanceMemoryMB int = 512

@description('Scale-out ceiling of the whole app (all functions together). Deliveries scale out over the delivery queue, one instance per waiting message, so this also caps the deliveries (and SFTP sessions) running at once. 40 is the lowest value Flex Consumption has accepted.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Python of the function app: the version the tests run on (./run, PYTHON_VERSION) and that requirements.txt pins the worker for (azure-functions-runtime needs 3.13 or newer). Move all three together (README, "The worker").')
@allowed([ '3.13' ])
param pythonVersion string = '3.13'

@description('Timer NCRONTAB (UTC). The schedule decides per organisation in Europe/Amsterdam.')
param deliverySchedule string = '0 */15 * * * *'
param deliveryGraceMinutes int = 60
param staleExtractDays int = 3
param outcomeRetentionDays int = 400

@description('Days before incoming extracts, quarantine, reports and the outbox are deleted.')
param extractsRetentionDays int = 7
param quarantineRetentionDays int = 14
param reportsRetentionDays int = 90
param outboxRetentionDays int = 90
param softDeleteDays int = 7
param logRetentionDays int = 90

@description('Disabled closes the vault to the internet; it then gets a private endpoint in the VNet, so this needs enableStaticOutboundIp=true (refused otherwise).')
@allowed([ 'Enabled', 'Disabled' ])
param keyVaultPublicNetworkAccess string = 'Enabled'

@description('VNet integration with a NAT gateway and static public IP for SFTP allow-listing at SNG.')
param enableStaticOutboundIp bool = false

@description('Who may upload extracts, per organisation: entries { organisation, principalId, principalType } (organisation: a code in the organisations document; principalType: Group, User or ServicePrincipal). Each gets write rights in extracts/{organisation}/ and read rights there and in reports/{organisation}/, nothing else (modules/uploaders.bicep). Empty: nobody, as before.')
param uploaders array = []

var suffix = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var prefix = 'vish-${environmentName}'
var tags = {
  'azd-env-name': environmentName
  application: 'vish-bridge'
}
var deploymentContainerName = 'app-package'
// The queue of delivery requests: storage.bicep makes it and its poison queue, function.bicep
// names it to the code and the queue triggers (VISH_DELIVERY_QUEUE). The code's default is the same.
var deliveryQueueName = 'vish-deliveries'

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: '${prefix}-id'
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: 'stvish${take(suffix, 15)}'
    location: location
    tags: tags
    principalId: identity.outputs.principalId
    deploymentContainerName: deploymentContainerName
    extractsDays: extractsRetentionDays
    quarantineDays: quarantineRetentionDays
    reportsDays: reportsRetentionDays
    outboxDays: outboxRetentionDays
    softDeleteDays: softDeleteDays
    deliveryQueueName: deliveryQueueName
  }
}

module vault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    name: 'kv-vish-${take(toLower(uniqueString(subscription().id, resourceGroup().id, environmentName, keyVaultNameSeed)), 13)}'
    location: location
    // the seed is in the name's hash: the tag lets preprovision.sh tell whether a deleted vault
    // of this environment holds the name this deployment would use
    tags: union(tags, { 'vish-key-vault-seed': empty(keyVaultNameSeed) ? 'none' : keyVaultNameSeed })
    principalId: identity.outputs.principalId
    operatorPrincipalId: (secretsOfficer == 'deployer') ? principalId : ''
    operatorPrincipalType: principalType
    publicNetworkAccess: keyVaultPublicNetworkAccess
    privateEndpointSubnetId: enableStaticOutboundIp ? network.outputs.endpointSubnetId : ''
    vnetId: enableStaticOutboundIp ? network.outputs.vnetId : ''
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    namePrefix: prefix
    location: location
    tags: tags
    principalId: identity.outputs.principalId
    alertEmail: alertEmail
    logRetentionDays: logRetentionDays
  }
}

module network 'modules/network.bicep' = if (enableStaticOutboundIp) {
  name: 'network'
  params: {
    namePrefix: prefix
    location: location
    tags: tags
  }
}

module functionApp 'modules/function.bicep' = {
  name: 'function'
  params: {
    name: 'func-vish-${take(suffix, 13)}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageName: storage.outputs.name
    blobEndpoint: storage.outputs.blobEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerName: deploymentContainerName
    deliveryQueueName: storage.outputs.deliveryQueueName
    insightsConnectionString: monitoring.outputs.connectionString
    keyVaultUri: vault.outputs.uri
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    pythonVersion: pythonVersion
    organisationsJson: string(organisations)
    deliverySchedule: deliverySchedule
    deliveryGraceMinutes: deliveryGraceMinutes
    staleExtractDays: staleExtractDays
    outcomeRetentionDays: outcomeRetentionDays
    subnetId: enableStaticOutboundIp ? network.outputs.subnetId : ''
  }
}

// The codes an uploader may name (an uploader for any other code is refused).
var organisationCodes = [for organisation in organisations.organisations: organisation.code]

module uploaderRights 'modules/uploaders.bicep' = if (!empty(uploaders)) {
  name: 'uploaders'
  params: {
    storageName: storage.outputs.name
    uploaders: uploaders
    organisationCodes: organisationCodes
  }
}

module events 'modules/eventgrid.bicep' = {
  name: 'eventgrid'
  params: {
    name: '${prefix}-storage-events'
    location: location
    tags: tags
    storageId: storage.outputs.id
  }
}

output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_HOST string = functionApp.outputs.hostName
output AZURE_STORAGE_ACCOUNT string = storage.outputs.name
output AZURE_KEY_VAULT_NAME string = vault.outputs.name
output AZURE_KEY_VAULT_URI string = vault.outputs.uri
output AZURE_EVENTGRID_TOPIC string = events.outputs.name
output AZURE_APP_INSIGHTS_NAME string = monitoring.outputs.insightsName
output AZURE_ACTION_GROUP_ID string = monitoring.outputs.actionGroupId
output AZURE_CLIENT_ID string = identity.outputs.clientId
output STATIC_OUTBOUND_IP string = enableStaticOutboundIp ? network.outputs.egressIp : ''
