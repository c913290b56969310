// Key Vault for the SFTP secrets (private key, passphrase or password per organisation).
// RBAC only, soft delete with purge protection; the deployment never writes secret values.
param name string
param location string
param tags object
param principalId string
@allowed([ 'Enabled', 'Disabled' ])
param publicNetworkAccess string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  // checkov:skip=CKV_AZURE_109: Without VNet integration a Flex Consumption app has no fixed outbound address to allow; access is RBAC-only (Key Vault Secrets User for one identity). Set publicNetworkAccess=Disabled with private networking.
  // checkov:skip=CKV_AZURE_189: Public network access is a parameter (keyVaultPublicNetworkAccess); the default stays Enabled because the default deployment has no VNet.
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
    publicNetworkAccess: publicNetworkAccess
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: publicNetworkAccess == 'Enabled' ? 'Allow' : 'Deny'
    }
  }
}

// Key Vault Secrets User: read secret values, nothing else.
var secretsUser = '4633458b-17de-408a-b874-0445c86b69e6'

resource secretsUserAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: vault
  name: guid(vault.id, principalId, secretsUser)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsUser)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

output id string = vault.id
output name string = vault.name
output uri string = vault.properties.vaultUri
