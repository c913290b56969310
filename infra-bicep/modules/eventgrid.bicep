// Event Grid system topic on the storage account. The subscription that sends BlobCreated
// events under extracts/ to the blob extension's webhook needs the function's blobs_extension
// system key, which exists only after code deployment: scripts/postdeploy.sh creates it.
param name string
param location string
param tags object
param storageId string

resource topic 'Microsoft.EventGrid/systemTopics@2024-06-01-preview' = {
  name: name
  location: location
  tags: tags
  properties: {
    source: storageId
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

output name string = topic.name
