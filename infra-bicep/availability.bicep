// The availability test on GET /api/status and the alert on it. Deployed after the code
// (scripts/postdeploy.sh), because the URL needs a function key that exists only then: the
// status function's own key named "availability", so that it can be revoked alone.
// The test polls every 5 minutes from five European locations and expects 200; status answers
// 503 when an organisation is late, failing, held or has a stale extract, so the alert covers
// both "the app is down" and "a delivery needs attention". Its requests also feed the 503 log
// alert in modules/monitoring.bicep.
targetScope = 'resourceGroup'

param location string = resourceGroup().location
@description('The azd environment (as main.bicep): the test and its alert are named after it, so that two environments in one resource group keep their own.')
@minLength(2)
@maxLength(12)
param environmentName string
@description('Application Insights of the deployment (output AZURE_APP_INSIGHTS_NAME).')
param appInsightsName string
@description('The action group that mails the operators (output AZURE_ACTION_GROUP_ID).')
param actionGroupId string
@description('Host name of the function app (output AZURE_FUNCTION_HOST).')
param functionHost string
@secure()
@description('The status function key named "availability".')
param statusKey string

var testName = 'vish-${environmentName}-status'
// Application Insights' location ids (they do not read as the regions): West Europe, North
// Europe, France Central, France South, UK West. Microsoft's advice: at least five locations,
// alert when all but two fail at once (one location's hiccup is not an outage).
var probeLocations = [ 'emea-nl-ams-azr', 'emea-gb-db3-azr', 'emea-fr-pra-edge', 'emea-ch-zrh-edge', 'emea-se-sto-edge' ]

resource insights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource statusTest 'Microsoft.Insights/webtests@2022-06-15' = {
  name: testName
  location: location
  kind: 'standard'
  tags: {
    'hidden-link:${insights.id}': 'Resource'
  }
  properties: {
    SyntheticMonitorId: testName
    Name: testName
    Description: 'GET /api/status moet 200 geven (503: een organisatie vraagt aandacht; de statuspagina zegt waarom)'
    Kind: 'standard'
    Enabled: true
    Frequency: 300
    Timeout: 60
    RetryEnabled: true
    Locations: [for id in probeLocations: { Id: id }]
    Request: {
      RequestUrl: 'https://${functionHost}/api/status?code=${statusKey}'
      HttpVerb: 'GET'
      ParseDependentRequests: false
    }
    ValidationRules: {
      ExpectedHttpStatusCode: 200
      SSLCheck: true
      SSLCertRemainingLifetimeCheck: 7
    }
  }
}

resource statusTestAlert 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: '${testName}-failing'
  location: 'global'
  tags: {
    'hidden-link:${insights.id}': 'Resource'
    'hidden-link:${statusTest.id}': 'Resource'
  }
  properties: {
    description: 'VISH: /api/status geeft geen 200 vanaf drie of meer meetpunten (app onbereikbaar of een organisatie vraagt aandacht)'
    severity: 1
    enabled: true
    scopes: [ statusTest.id, insights.id ]
    evaluationFrequency: 'PT1M'
    windowSize: 'PT5M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria'
      webTestId: statusTest.id
      componentId: insights.id
      failedLocationCount: length(probeLocations) - 2
    }
    actions: [ { actionGroupId: actionGroupId } ]
  }
}

output webTestId string = statusTest.id
output alertId string = statusTestAlert.id
