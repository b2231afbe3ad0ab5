package remediate

import (
	"errors"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/smithy-go"
)

// NotebookConfig is a notebook's description with the field names of
// CreateNotebookInstance: DescribeNotebookInstance's SecurityGroups is
// SecurityGroupIds here and NotebookInstanceLifecycleConfigName is
// LifecycleConfigName, so the record reads as the create call it leads to.
type NotebookConfig struct {
	NotebookInstanceName                 string      `json:"NotebookInstanceName"`
	NotebookInstanceArn                  string      `json:"NotebookInstanceArn,omitempty"`
	NotebookInstanceStatus               string      `json:"NotebookInstanceStatus,omitempty"`
	FailureReason                        string      `json:"FailureReason,omitempty"`
	URL                                  string      `json:"Url,omitempty"`
	InstanceType                         string      `json:"InstanceType"`
	IPAddressType                        string      `json:"IpAddressType,omitempty"`
	SubnetID                             string      `json:"SubnetId,omitempty"`
	SecurityGroupIDs                     []string    `json:"SecurityGroupIds"`
	RoleArn                              string      `json:"RoleArn"`
	KmsKeyID                             string      `json:"KmsKeyId,omitempty"`
	NetworkInterfaceID                   string      `json:"NetworkInterfaceId,omitempty"`
	LifecycleConfigName                  string      `json:"LifecycleConfigName,omitempty"`
	DirectInternetAccess                 string      `json:"DirectInternetAccess"`
	VolumeSizeInGB                       int32       `json:"VolumeSizeInGB,omitempty"`
	AcceleratorTypes                     []string    `json:"AcceleratorTypes"`
	DefaultCodeRepository                string      `json:"DefaultCodeRepository,omitempty"`
	AdditionalCodeRepositories           []string    `json:"AdditionalCodeRepositories"`
	RootAccess                           string      `json:"RootAccess,omitempty"`
	PlatformIdentifier                   string      `json:"PlatformIdentifier,omitempty"`
	InstanceMetadataServiceConfiguration *IMDSConfig `json:"InstanceMetadataServiceConfiguration,omitempty"`
	CreationTime                         *time.Time  `json:"CreationTime,omitempty"`
	LastModifiedTime                     *time.Time  `json:"LastModifiedTime,omitempty"`
}

// IMDSConfig is InstanceMetadataServiceConfiguration.
type IMDSConfig struct {
	MinimumInstanceMetadataServiceVersion string `json:"MinimumInstanceMetadataServiceVersion"`
}

// Tag is a notebook tag.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// LifecycleSnapshot is the attached lifecycle configuration as read, with
// its base64 script contents, so a record can restore it if it is lost.
type LifecycleSnapshot struct {
	Name     string   `json:"NotebookInstanceLifecycleConfigName"`
	Arn      string   `json:"NotebookInstanceLifecycleConfigArn,omitempty"`
	OnCreate []string `json:"OnCreate"`
	OnStart  []string `json:"OnStart"`
}

func configFromDescribe(d *sagemaker.DescribeNotebookInstanceOutput) NotebookConfig {
	c := NotebookConfig{
		NotebookInstanceName:       aws.ToString(d.NotebookInstanceName),
		NotebookInstanceArn:        aws.ToString(d.NotebookInstanceArn),
		NotebookInstanceStatus:     string(d.NotebookInstanceStatus),
		FailureReason:              aws.ToString(d.FailureReason),
		URL:                        aws.ToString(d.Url),
		InstanceType:               string(d.InstanceType),
		IPAddressType:              string(d.IpAddressType),
		SubnetID:                   aws.ToString(d.SubnetId),
		SecurityGroupIDs:           nonNil(d.SecurityGroups),
		RoleArn:                    aws.ToString(d.RoleArn),
		KmsKeyID:                   aws.ToString(d.KmsKeyId),
		NetworkInterfaceID:         aws.ToString(d.NetworkInterfaceId),
		LifecycleConfigName:        aws.ToString(d.NotebookInstanceLifecycleConfigName),
		DirectInternetAccess:       string(d.DirectInternetAccess),
		VolumeSizeInGB:             aws.ToInt32(d.VolumeSizeInGB),
		DefaultCodeRepository:      aws.ToString(d.DefaultCodeRepository),
		AdditionalCodeRepositories: nonNil(d.AdditionalCodeRepositories),
		RootAccess:                 string(d.RootAccess),
		PlatformIdentifier:         aws.ToString(d.PlatformIdentifier),
		CreationTime:               d.CreationTime,
		LastModifiedTime:           d.LastModifiedTime,
		AcceleratorTypes:           []string{},
	}
	for _, a := range d.AcceleratorTypes {
		c.AcceleratorTypes = append(c.AcceleratorTypes, string(a))
	}
	if d.InstanceMetadataServiceConfiguration != nil {
		c.InstanceMetadataServiceConfiguration = &IMDSConfig{
			MinimumInstanceMetadataServiceVersion: aws.ToString(d.InstanceMetadataServiceConfiguration.MinimumInstanceMetadataServiceVersion),
		}
	}
	return c
}

// createInput is the CreateNotebookInstance call that rebuilds c under name,
// in the target network with direct internet access disabled. Tags whose
// keys start with "aws:" are reserved and cannot be set; they are left out
// (the plan lists them).
func (c NotebookConfig) createInput(name string, tags []Tag, target Target) *sagemaker.CreateNotebookInstanceInput {
	in := &sagemaker.CreateNotebookInstanceInput{
		NotebookInstanceName:       aws.String(name),
		InstanceType:               types.InstanceType(c.InstanceType),
		RoleArn:                    aws.String(c.RoleArn),
		DirectInternetAccess:       types.DirectInternetAccessDisabled,
		SubnetId:                   aws.String(target.SubnetID),
		SecurityGroupIds:           append([]string(nil), target.SecurityGroupIDs...),
		KmsKeyId:                   optString(c.KmsKeyID),
		LifecycleConfigName:        optString(c.LifecycleConfigName),
		DefaultCodeRepository:      optString(c.DefaultCodeRepository),
		AdditionalCodeRepositories: c.AdditionalCodeRepositories,
		PlatformIdentifier:         optString(c.PlatformIdentifier),
		RootAccess:                 types.RootAccess(c.RootAccess),
		IpAddressType:              types.IPAddressType(c.IPAddressType),
	}
	if c.VolumeSizeInGB > 0 {
		in.VolumeSizeInGB = aws.Int32(c.VolumeSizeInGB)
	}
	for _, a := range c.AcceleratorTypes {
		in.AcceleratorTypes = append(in.AcceleratorTypes, types.NotebookInstanceAcceleratorType(a))
	}
	if c.InstanceMetadataServiceConfiguration != nil && c.InstanceMetadataServiceConfiguration.MinimumInstanceMetadataServiceVersion != "" {
		in.InstanceMetadataServiceConfiguration = &types.InstanceMetadataServiceConfiguration{
			MinimumInstanceMetadataServiceVersion: aws.String(c.InstanceMetadataServiceConfiguration.MinimumInstanceMetadataServiceVersion),
		}
	}
	for _, t := range settableTags(tags) {
		in.Tags = append(in.Tags, types.Tag{Key: aws.String(t.Key), Value: aws.String(t.Value)})
	}
	return in
}

// settableTags drops the reserved aws: tags.
func settableTags(tags []Tag) []Tag {
	var out []Tag
	for _, t := range tags {
		if !strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			out = append(out, t)
		}
	}
	return out
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return append([]string(nil), s...)
}

// isNotFound reports whether err says the notebook does not exist:
// SageMaker answers ValidationException ("RecordNotFound") for a missing
// notebook, which is also what the Deleted waiter treats as gone.
func isNotFound(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if ae.ErrorCode() == "ResourceNotFound" {
			return true
		}
		if ae.ErrorCode() == "ValidationException" {
			msg := strings.ToLower(ae.ErrorMessage())
			return strings.Contains(msg, "recordnotfound") || strings.Contains(msg, "does not exist") || strings.Contains(msg, "not found")
		}
	}
	return false
}
