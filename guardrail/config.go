package guardrail

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sagefence/sagefence/configrule"
	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/witness"
)

// Config deployment templates (`sagefence guardrail --kind config`, see
// docs/aws-config.md). Every template is JSON CloudFormation.
//
//   - ConfigMemberTemplate is what each account+region runs: the function
//     (cmd/sagefence-config-rule, code from S3), its execution role granting
//     configrule.LambdaActions, the invoke permission for AWS Config in the
//     same account, one custom rule per sagefence control (input parameter
//     {"sagefence_control": ID}, periodic and change-triggered) and the two
//     AWS managed notebook rules.
//   - ConfigStackSetTemplate deploys the member template to every account of
//     the given organizational units and regions: a service-managed StackSet
//     with automatic deployment to accounts that join later. StackSets never
//     deploy to the management account.
//   - ConfigConformancePackTemplate holds the same rules for an existing
//     function (its ARN a parameter), for PutConformancePack /
//     PutOrganizationConformancePack.

// ConfigRuleName is the Config rule name of a control's custom rule:
// "sagefence-" and the control ID without its "sagemaker_" prefix, with
// hyphens (at most 64 characters, [A-Za-z0-9-_]).
func ConfigRuleName(c *control.Control) string {
	return "sagefence-" + strings.ReplaceAll(strings.TrimPrefix(c.ID, "sagemaker_"), "_", "-")
}

// ManagedConfigRules are the AWS managed rules the templates add
// (shared/aws-facts.md §8.1): the first is periodic, the second change-triggered.
var ManagedConfigRules = []string{"SAGEMAKER_NOTEBOOK_NO_DIRECT_INTERNET_ACCESS", "SAGEMAKER_NOTEBOOK_INSTANCE_INSIDE_VPC"}

// frequencies are AWS Config's MaximumExecutionFrequency values.
var frequencies = []string{"One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours", "TwentyFour_Hours"}

type obj = map[string]any

// logicalID turns a rule name into a CloudFormation logical ID.
func logicalID(name string) string {
	var b strings.Builder
	up := true
	for _, r := range name {
		if r == '-' || r == '_' {
			up = true
			continue
		}
		if up {
			b.WriteString(strings.ToUpper(string(r)))
			up = false
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// configRules returns the rule resources; function is the custom rules'
// SourceIdentifier, dependsOn their DependsOn ("" none).
func configRules(function any, dependsOn string) obj {
	res := obj{}
	// The notebook type too: where the recorder records it, its changes and
	// deletions trigger the rule; and evaluations of it stay in scope.
	changeScope := append([]string{witnessNotebook, witnessDomain}, configrule.NetworkResourceTypes...)
	for _, c := range control.All() {
		name := ConfigRuleName(c)
		params, _ := json.Marshal(map[string]string{witness.CustomRuleParameter: c.ID})
		r := obj{
			"Type": "AWS::Config::ConfigRule",
			"Properties": obj{
				"ConfigRuleName":  name,
				"Description":     truncate("sagefence: "+c.Title, 256),
				"InputParameters": string(params),
				"Scope":           obj{"ComplianceResourceTypes": changeScope},
				"Source": obj{
					"Owner": "CUSTOM_LAMBDA", "SourceIdentifier": function,
					"SourceDetails": []obj{
						{"EventSource": "aws.config", "MessageType": configrule.MessageScheduled,
							"MaximumExecutionFrequency": obj{"Ref": "MaximumExecutionFrequency"}},
						{"EventSource": "aws.config", "MessageType": configrule.MessageChange},
						{"EventSource": "aws.config", "MessageType": configrule.MessageOversizedChange},
					},
				},
			},
		}
		if dependsOn != "" {
			r["DependsOn"] = dependsOn
		}
		res[logicalID(name)] = r
	}
	res["SagemakerNotebookNoDirectInternetAccess"] = obj{
		"Type": "AWS::Config::ConfigRule",
		"Properties": obj{
			"ConfigRuleName":            "sagemaker-notebook-no-direct-internet-access",
			"MaximumExecutionFrequency": obj{"Ref": "MaximumExecutionFrequency"},
			"Source":                    obj{"Owner": "AWS", "SourceIdentifier": ManagedConfigRules[0]},
		},
	}
	res["SagemakerNotebookInstanceInsideVpc"] = obj{
		"Type": "AWS::Config::ConfigRule",
		"Properties": obj{
			"ConfigRuleName": "sagemaker-notebook-instance-inside-vpc",
			"Scope":          obj{"ComplianceResourceTypes": []string{witnessNotebook}},
			"Source":         obj{"Owner": "AWS", "SourceIdentifier": ManagedConfigRules[1]},
		},
	}
	return res
}

const (
	witnessNotebook = witness.TypeNotebook
	witnessDomain   = witness.TypeDomain
)

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func frequencyParameter() obj {
	return obj{"Type": "String", "Default": "TwentyFour_Hours", "AllowedValues": frequencies,
		"Description": "How often AWS Config runs the periodic evaluations"}
}

// memberParameters are the member template's parameters; the StackSet
// passes them through.
func memberParameters() obj {
	return obj{
		"CodeBucketPrefix": obj{"Type": "String", "MinLength": 3,
			"Description": "Lambda code must be in the function's region: the code is read from the bucket <CodeBucketPrefix>-<region>"},
		"CodeKey": obj{"Type": "String", "Default": "sagefence-config-rule/bootstrap-arm64.zip",
			"Description": "S3 key of the zip holding the bootstrap binary (cmd/sagefence-config-rule) for Architecture"},
		"Architecture": obj{"Type": "String", "Default": "arm64", "AllowedValues": []string{"arm64", "x86_64"},
			"Description": "Lambda architecture of the bootstrap binary in CodeKey"},
		"MaximumExecutionFrequency": frequencyParameter(),
	}
}

// ConfigMemberTemplate is the per-account+region stack (see above).
func ConfigMemberTemplate() obj {
	resources := configRules(obj{"Fn::GetAtt": []string{"SagefenceConfigRuleFunction", "Arn"}}, "SagefenceConfigRulePermission")
	resources["SagefenceConfigRuleRole"] = obj{
		"Type": "AWS::IAM::Role",
		"Properties": obj{
			"Description": "sagefence AWS Config rule function: reads SageMaker and the VPC network, reports evaluations",
			"AssumeRolePolicyDocument": obj{"Version": PolicyVersion, "Statement": []obj{{
				"Effect": "Allow", "Principal": obj{"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}}},
			"ManagedPolicyArns": []any{obj{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}},
			"Policies": []obj{{"PolicyName": "sagefence-config-rule", "PolicyDocument": obj{"Version": PolicyVersion,
				"Statement": []obj{{"Effect": "Allow", "Action": configrule.LambdaActions(), "Resource": "*"}}}}},
		},
	}
	resources["SagefenceConfigRuleFunction"] = obj{
		"Type": "AWS::Lambda::Function",
		"Properties": obj{
			"Description":   "sagefence controls as AWS Config custom rules",
			"Runtime":       "provided.al2023",
			"Handler":       "bootstrap",
			"Architectures": []any{obj{"Ref": "Architecture"}},
			"Code": obj{"S3Bucket": obj{"Fn::Sub": "${CodeBucketPrefix}-${AWS::Region}"},
				"S3Key": obj{"Ref": "CodeKey"}},
			"Role":       obj{"Fn::GetAtt": []string{"SagefenceConfigRuleRole", "Arn"}},
			"Timeout":    900,
			"MemorySize": 256,
		},
	}
	resources["SagefenceConfigRulePermission"] = obj{
		"Type": "AWS::Lambda::Permission",
		"Properties": obj{
			"Action": "lambda:InvokeFunction", "Principal": "config.amazonaws.com",
			"FunctionName":  obj{"Fn::GetAtt": []string{"SagefenceConfigRuleFunction", "Arn"}},
			"SourceAccount": obj{"Ref": "AWS::AccountId"},
		},
	}
	return obj{
		"AWSTemplateFormatVersion": "2010-09-09",
		"Description":              "sagefence: SageMaker network controls as AWS Config rules in this account and region",
		"Parameters":               memberParameters(),
		"Resources":                resources,
	}
}

// ConfigStackSetTemplate deploys ConfigMemberTemplate to an organization.
func ConfigStackSetTemplate() (obj, error) {
	body, err := json.Marshal(ConfigMemberTemplate())
	if err != nil {
		return nil, err
	}
	params := memberParameters()
	var passed []obj
	for _, k := range []string{"Architecture", "CodeBucketPrefix", "CodeKey", "MaximumExecutionFrequency"} {
		passed = append(passed, obj{"ParameterKey": k, "ParameterValue": obj{"Ref": k}})
	}
	params["OrganizationalUnitIds"] = obj{"Type": "CommaDelimitedList",
		"Description": "Organizational units (ou-… or the root r-…) whose accounts, present and future, get the rules"}
	params["Regions"] = obj{"Type": "CommaDelimitedList", "Description": "Regions to deploy to in every account"}
	params["CallAs"] = obj{"Type": "String", "Default": "SELF", "AllowedValues": []string{"SELF", "DELEGATED_ADMIN"},
		"Description": "SELF in the management account, DELEGATED_ADMIN in a StackSets delegated administrator"}
	return obj{
		"AWSTemplateFormatVersion": "2010-09-09",
		"Description":              "sagefence: AWS Config rules for SageMaker network controls in every account of an organization",
		"Parameters":               params,
		"Resources": obj{"SagefenceConfigStackSet": obj{
			"Type": "AWS::CloudFormation::StackSet",
			"Properties": obj{
				"StackSetName":         "sagefence-config-rules",
				"Description":          "sagefence AWS Config rules (service-managed, automatic deployment)",
				"PermissionModel":      "SERVICE_MANAGED",
				"AutoDeployment":       obj{"Enabled": true, "RetainStacksOnAccountRemoval": false},
				"CallAs":               obj{"Ref": "CallAs"},
				"Capabilities":         []string{"CAPABILITY_IAM"},
				"OperationPreferences": obj{"FailureTolerancePercentage": 10, "MaxConcurrentPercentage": 25, "RegionConcurrencyType": "PARALLEL"},
				"Parameters":           passed,
				"StackInstancesGroup": []obj{{
					"DeploymentTargets": obj{"OrganizationalUnitIds": obj{"Ref": "OrganizationalUnitIds"}},
					"Regions":           obj{"Ref": "Regions"},
				}},
				"TemplateBody": string(body),
			},
		}},
	}, nil
}

// ConfigConformancePackTemplate holds the rules for an existing function.
func ConfigConformancePackTemplate() obj {
	return obj{
		"Parameters": obj{
			"LambdaFunctionArn": obj{"Type": "String",
				"Description": "ARN of the sagefence-config-rule function in this account and region (not $LATEST)"},
			"MaximumExecutionFrequency": frequencyParameter(),
		},
		"Resources": configRules(obj{"Ref": "LambdaFunctionArn"}, ""),
	}
}

// ConfigTemplate names a CloudFormation template of --kind config.
type ConfigTemplate string

const (
	TemplateStackSet        ConfigTemplate = "stackset"
	TemplateMember          ConfigTemplate = "member"
	TemplateConformancePack ConfigTemplate = "conformance-pack"
)

// ConfigCloudFormation renders one of the templates as indented JSON.
func ConfigCloudFormation(which ConfigTemplate) ([]byte, error) {
	var t obj
	switch which {
	case TemplateStackSet:
		var err error
		if t, err = ConfigStackSetTemplate(); err != nil {
			return nil, err
		}
	case TemplateMember:
		t = ConfigMemberTemplate()
	case TemplateConformancePack:
		t = ConfigConformancePackTemplate()
	default:
		return nil, fmt.Errorf("--template %q: want stackset, member or conformance-pack", which)
	}
	out, err := json.MarshalIndent(t, "", "  ")
	return append(out, '\n'), err
}

// ConfigTerraform renders the organization deployment in Terraform: a
// service-managed aws_cloudformation_stack_set holding the member template
// and one aws_cloudformation_stack_set_instance per region over the given
// organizational units.
func ConfigTerraform() ([]byte, error) {
	body, err := json.MarshalIndent(ConfigMemberTemplate(), "", "  ")
	if err != nil {
		return nil, err
	}
	// The template is a heredoc: escape Terraform's template sequences.
	escaped := strings.NewReplacer("${", "$${", "%{", "%%{").Replace(string(body))
	var b strings.Builder
	b.WriteString(`# sagefence: AWS Config rules for SageMaker network controls in every account of an organization
# (sagefence guardrail --kind config --format terraform; see docs/aws-config.md).
# Apply in the organization's management account or a StackSets delegated administrator.

variable "code_bucket_prefix" {
  type        = string
  description = "Lambda code is read from the bucket <prefix>-<region> in each region"
}

variable "code_key" {
  type        = string
  default     = "sagefence-config-rule/bootstrap-arm64.zip"
  description = "S3 key of the zip holding the bootstrap binary for var.architecture"
}

variable "architecture" {
  type    = string
  default = "arm64"
  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "maximum_execution_frequency" {
  type    = string
  default = "TwentyFour_Hours"
  validation {
    condition     = contains(["One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours", "TwentyFour_Hours"], var.maximum_execution_frequency)
    error_message = "maximum_execution_frequency must be an AWS Config frequency."
  }
}

variable "organizational_unit_ids" {
  type        = list(string)
  description = "Organizational units (or the root) whose accounts, present and future, get the rules"
}

variable "regions" {
  type        = list(string)
  description = "Regions to deploy to in every account"
}

variable "call_as" {
  type    = string
  default = "SELF"
}

resource "aws_cloudformation_stack_set" "sagefence_config" {
  name             = "sagefence-config-rules"
  description      = "sagefence AWS Config rules (service-managed, automatic deployment)"
  permission_model = "SERVICE_MANAGED"
  call_as          = var.call_as
  capabilities     = ["CAPABILITY_IAM"]

  auto_deployment {
    enabled                          = true
    retain_stacks_on_account_removal = false
  }

  operation_preferences {
    failure_tolerance_percentage = 10
    max_concurrent_percentage    = 25
    region_concurrency_type      = "PARALLEL"
  }

  parameters = {
    Architecture              = var.architecture
    CodeBucketPrefix          = var.code_bucket_prefix
    CodeKey                   = var.code_key
    MaximumExecutionFrequency = var.maximum_execution_frequency
  }

  lifecycle {
    ignore_changes = [administration_role_arn]
  }

  template_body = <<-TEMPLATE
`)
	for _, line := range strings.Split(escaped, "\n") {
		b.WriteString("    " + line + "\n")
	}
	b.WriteString(`  TEMPLATE
}

resource "aws_cloudformation_stack_set_instance" "sagefence_config" {
  for_each       = toset(var.regions)
  stack_set_name = aws_cloudformation_stack_set.sagefence_config.name
  region         = each.value
  call_as        = var.call_as

  deployment_targets {
    organizational_unit_ids = var.organizational_unit_ids
  }
}
`)
	return []byte(b.String()), nil
}
