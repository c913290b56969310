// Optional: VNet integration with a NAT gateway and one static public IP, so SNG can allow-list
// a single outbound address for SFTP.
param namePrefix string
param location string
param tags object
param addressPrefix string = '10.60.0.0/24'

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
          addressPrefix: addressPrefix
          natGateway: { id: nat.id }
          delegations: [
            {
              name: 'flex-consumption'
              properties: { serviceName: 'Microsoft.App/environments' }
            }
          ]
        }
      }
    ]
  }
}

output subnetId string = '${vnet.id}/subnets/functions'
output egressIp string = ip.properties.ipAddress
