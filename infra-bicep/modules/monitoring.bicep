// Log Analytics + Application Insights (local auth off: the identity publishes), an action group
// that mails the operators, and two alerts: GET /api/status answering 503 (an organisation needs
// attention: any health word but ok, no_changes, pending and not_connected) and a failed delivery.
param namePrefix string
param location string
param tags object
param principalId string
param alertEmail string
param logRetentionDays int

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${namePrefix}-logs'
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: logRetentionDays
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${namePrefix}-ai'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
    DisableLocalAuth: true
  }
}

// Monitoring Metrics Publisher: lets the identity send telemetry (local auth is disabled).
var metricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'

resource publisherAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: insights
  name: guid(insights.id, principalId, metricsPublisher)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', metricsPublisher)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource operators 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: '${namePrefix}-operators'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'vish'
    enabled: true
    emailReceivers: [
      {
        name: 'beheer'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

resource statusUnhealthy 'Microsoft.Insights/scheduledQueryRules@2023-03-15-preview' = {
  name: '${namePrefix}-status-503'
  location: location
  tags: tags
  properties: {
    displayName: 'VISH: status meldt 503 (een organisatie vraagt aandacht)'
    description: 'GET /api/status answered 503: an organisation is failing, held, unconfirmed, late or empty, or its latest extract was rejected or waits for release (extract_held), or it has no extract yet (no_extract) or a stale one (stale_extract), or a row of its outcomes does not read (unreadable). Open the status page for the reason.'
    severity: 1
    enabled: true
    evaluationFrequency: 'PT15M'
    windowSize: 'PT30M'
    scopes: [ insights.id ]
    criteria: {
      allOf: [
        {
          query: 'requests | where name in ("status", "status_org") and resultCode == "503"'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: {
      actionGroups: [ operators.id ]
    }
  }
}

resource deliveryFailed 'Microsoft.Insights/scheduledQueryRules@2023-03-15-preview' = {
  name: '${namePrefix}-delivery-failed'
  location: location
  tags: tags
  properties: {
    displayName: 'VISH: levering aan SNG mislukt'
    description: 'A delivery attempt failed (the outcome is in the outcomes table).'
    severity: 1
    enabled: true
    evaluationFrequency: 'PT15M'
    windowSize: 'PT15M'
    scopes: [ insights.id ]
    criteria: {
      allOf: [
        {
          query: 'traces | where message startswith "delivery failed"'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: {
      actionGroups: [ operators.id ]
    }
  }
}

output insightsId string = insights.id
output insightsName string = insights.name
output connectionString string = insights.properties.ConnectionString
output actionGroupId string = operators.id
