// Optional: VNet integration with a NAT gateway and one static public IP, so SNG can allow-list
// a single outbound address for SFTP. A second, small subnet holds private endpoints (a subnet
// delegated to Flex Consumption cannot): the Key Vault's, when it is closed to the internet.
param namePrefix string
param location string
param tags object
param addressPrefix string = '10.60.0.0/23'
param appSubnetPrefix string = '10.60.0.0/24'
param endpointSubnetPrefix string = '10.60.1.0/27'

resource ip 'Microsoft.Network/publicIPAddresses@2024-01-01' = {
  name: '${namePrefix}-egress-ip'
  location: location
  tags: tags
  sku: { name: 'Standard' }
  properties: {
    publicIPAllocationMethod: 'Static'
    publicIPAddressVersion: 'IPv4'
  }
}

resource nat 'Microsoft.Network/natGateways@2024-01-01' = {
  name: '${namePrefix}-nat'
  location: location
  tags: tags
  sku: { name: 'Standard' }
  properties: {
    idleTimeoutInMinutes: 10
    publicIpAddresses: [ { id: ip.id } ]
  }
}

resource vnet 'Microsoft.Network/virtualNetworks@2024-01-01' = {
  name: '${namePrefix}-vnet'
  location: location
  tags: tags
  properties: {
    addressSpace: { addressPrefixes: [ addressPrefix ] }
    subnets: [
      {
        name: 'functions'
        properties: {
          addressPrefix: appSubnetPrefix
          natGateway: { id: nat.id }
          delegations: [
            {
              name: 'flex-consumption'
              properties: { serviceName: 'Microsoft.App/environments' }
            }
          ]
        }
      }
      {
        name: 'private-endpoints'
        properties: {
          addressPrefix: endpointSubnetPrefix
          privateEndpointNetworkPolicies: 'Disabled'
        }
      }
    ]
  }
}

output vnetId string = vnet.id
output subnetId string = '${vnet.id}/subnets/functions'
output endpointSubnetId string = '${vnet.id}/subnets/private-endpoints'
output egressIp string = ip.properties.ipAddress
