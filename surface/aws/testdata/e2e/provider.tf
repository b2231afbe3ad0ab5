# Points the AWS provider at a moto_server (var.endpoint) with fake keys.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

variable "endpoint" {
  type    = string
  default = "http://127.0.0.1:5000"
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true

  endpoints {
    sagemaker = var.endpoint
    ec2       = var.endpoint
    sts       = var.endpoint
    iam       = var.endpoint
  }
}
