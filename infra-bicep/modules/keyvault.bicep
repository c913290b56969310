// Key Vault for the SFTP secrets (private key, passphrase or password per organisation).
// RBAC only, soft delete with purge protection; the deployment never writes secret values.
// The app's identity may read secrets; the person who deploys may also write them (the vault is
// RBAC-only, so Owner or Contributor alone cannot run `az keyvault secret set`). Closed to the
// internet, the vault is reached through a private endpoint in the app's VNet.
param name string
param location string
param tags object
@description('The function app identity: Key Vault Secrets User.')
param principalId string
@description('Who deploys (azd: AZURE_PRINCIPAL_ID; deploy.sh: the signed-in account): Key Vault Secrets Officer, to put the SFTP secrets in. Empty: nobody.')
param operatorPrincipalId string = ''
@allowed([ 'User', 'Group', 'ServicePrincipal' ])
param operatorPrincipalType string = 'User'
@allowed([ 'Enabled', 'Disabled' ])
param publicNetworkAccess string
@description('Subnet for the private endpoint (not the delegated app subnet); required when publicNetworkAccess is Disabled.')
param privateEndpointSubnetId string = ''
@description('The VNet the app is integrated with: the private DNS zone is linked to it.')
param vnetId string = ''

var private = publicNetworkAccess == 'Disabled'
// A vault closed to the internet without a private endpoint cannot be read by the app (Functions
// is not a trusted Azure service). The template refuses that combination: ARM evaluates only the
// branch taken, so json() of this sentence fails the deployment with the sentence in the error.
// The argument must not be a literal: Bicep parses a literal json() argument when it compiles
// (and would reject this template outright), so the vault's name is part of it. (Bicep's fail()
// says it better, but the pinned checkov's parser cannot read it and would skip this file.)
var refusal = 'keyVaultPublicNetworkAccess=Disabled needs enableStaticOutboundIp=true: the app reaches a closed vault only through a private endpoint in its VNet'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  // checkov:skip=CKV_AZURE_109: Without VNet integration a Flex Consumption app has no fixed outbound address to allow; access is RBAC-only (Key Vault Secrets User for one identity). With the VNet, keyVaultPublicNetworkAccess=Disabled closes the vault and adds a private endpoint.
  // checkov:skip=CKV_AZURE_189: Public network access is a parameter (keyVaultPublicNetworkAccess); the default stays Enabled because the default deployment has no VNet, and Disabled is refused without one.
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: (private && empty(privateEndpointSubnetId)) ? json('${refusal} (vault ${name})') : publicNetworkAccess
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: private ? 'Deny' : 'Allow'
    }
  }
}

// Key Vault Secrets User: read secret values, nothing else.
var secretsUser = '4633458b-17de-408a-b874-0445c86b69e6'
// Key Vault Secrets Officer: create, update and delete secrets (no keys, no certificates, no RBAC).
var secretsOfficer = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'

resource secretsUserAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: vault
  name: guid(vault.id, principalId, secretsUser)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsUser)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource secretsOfficerAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(operatorPrincipalId)) {
  scope: vault
  name: guid(vault.id, operatorPrincipalId, secretsOfficer)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsOfficer)
    principalId: operatorPrincipalId
    principalType: operatorPrincipalType
  }
}

// Private access: an endpoint in its own subnet, and the privatelink zone linked to the VNet, so
// the app (all of whose traffic goes through the VNet on Flex Consumption) resolves the vault's
// name to the private address.
resource zone 'Microsoft.Network/privateDnsZones@2020-06-01' = if (private && !empty(privateEndpointSubnetId)) {
  name: 'privatelink.vaultcore.azure.net'
  location: 'global'
  tags: tags
}

resource zoneLink 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2020-06-01' = if (private && !empty(privateEndpointSubnetId)) {
  parent: zone
  name: '${name}-vnet'
  location: 'global'
  tags: tags
  properties: {
    virtualNetwork: { id: vnetId }
    registrationEnabled: false
  }
}

resource endpoint 'Microsoft.Network/privateEndpoints@2024-01-01' = if (private && !empty(privateEndpointSubnetId)) {
  name: '${name}-pe'
  location: location
  tags: tags
  properties: {
    subnet: { id: privateEndpointSubnetId }
    privateLinkServiceConnections: [
      {
        name: 'vault'
        properties: {
          privateLinkServiceId: vault.id
          groupIds: [ 'vault' ]
        }
      }
    ]
  }
}

resource endpointDns 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-01-01' = if (private && !empty(privateEndpointSubnetId)) {
  parent: endpoint
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [
      {
        name: 'vaultcore'
        properties: { privateDnsZoneId: zone.id }
      }
    ]
  }
}

output id string = vault.id
output name string = vault.name
output uri string = vault.properties.vaultUri
