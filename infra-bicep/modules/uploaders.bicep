// Upload rights per organisation: whoever a municipality names for an organisation (a group, a
// user or a service principal) may put extracts in `extracts/{code}/` and read that
// organisation's reports, nothing else. A custom role: blob data actions, which a condition on
// each assignment pins to the organisation's own folders, and of the control-plane actions only
// reading a container's properties (Storage Explorer and AzCopy ask for them; they hold no blob
// data). Storage Blob Data Contributor would also let an uploader delete or change whole
// containers through Resource Manager, and no condition reaches control-plane actions.
param storageName string
@description('Entries { organisation, principalId, principalType }; organisation is a code in the organisations document.')
param uploaders array
@description('The codes of the organisations document: an uploader for another code is refused.')
param organisationCodes array

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageName
}

var blobs = 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs'
var containerName = '@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name]'
var blobPath = '@Resource[${blobs}:path]'
var listPrefix = '@Request[${blobs}:prefix]'
var principalTypes = [ 'Group', 'User', 'ServicePrincipal' ]

// The storage account name is unique in Azure, so the role name is unique in the tenant.
var roleName = 'vish-bridge uploader (${storageName})'
var roleId = guid(resourceGroup().id, storageName, 'vish-bridge uploader')

resource uploaderRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: roleId
  properties: {
    roleName: roleName
    description: 'vish-bridge: read, list and write blobs; each assignment limits this to one organisation\'s folders with a condition.'
    type: 'CustomRole'
    permissions: [
      {
        actions: [
          'Microsoft.Storage/storageAccounts/blobServices/containers/read'
        ]
        notActions: []
        dataActions: [
          '${blobs}/read'
          '${blobs}/write'
          '${blobs}/add/action'
        ]
        notDataActions: []
      }
    ]
    assignableScopes: [
      resourceGroup().id
    ]
  }
}

// A refusal ARM evaluates only when it is reached: json() of a sentence fails the deployment with
// the sentence in the error (see keyvault.bicep). The code is also pasted into the condition, so a
// quote, which would end the condition's string, is refused as well.
resource uploaderAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for uploader in uploaders: {
  scope: storage
  name: guid(storage.id, uploader.organisation, uploader.principalId, roleId)
  properties: {
    roleDefinitionId: uploaderRole.id
    principalId: (contains(organisationCodes, uploader.organisation) && !contains(uploader.organisation, '\'')) ? uploader.principalId : json('uploaders: organisation ${uploader.organisation} is not a code in the organisations document')
    principalType: contains(principalTypes, uploader.principalType) ? uploader.principalType : json('uploaders: principalType of ${uploader.organisation} must be Group, User or ServicePrincipal')
    description: 'vish-bridge: uploads extracts of ${uploader.organisation}'
    // 1. write and create only in extracts/{code}/; 2. read a blob only in extracts/{code}/ and
    // reports/{code}/; 3. list only with a prefix in those folders (a list has no blob path, only
    // the prefix the request asks for; listing a whole container is refused).
    condition: '((!(ActionMatches{\'${blobs}/write\'}) AND !(ActionMatches{\'${blobs}/add/action\'})) OR (${containerName} StringEquals \'extracts\' AND ${blobPath} StringStartsWith \'${uploader.organisation}/\')) AND ((!(ActionMatches{\'${blobs}/read\'} AND NOT SubOperationMatches{\'Blob.List\'})) OR ((${containerName} StringEquals \'extracts\' OR ${containerName} StringEquals \'reports\') AND ${blobPath} StringStartsWith \'${uploader.organisation}/\')) AND ((!(ActionMatches{\'${blobs}/read\'} AND SubOperationMatches{\'Blob.List\'})) OR ((${containerName} StringEquals \'extracts\' OR ${containerName} StringEquals \'reports\') AND ${listPrefix} StringStartsWith \'${uploader.organisation}/\'))'
    conditionVersion: '2.0'
  }
}]

output roleName string = roleName
