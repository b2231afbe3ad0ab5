output "notebook_instance_name" {
  description = "Name of the notebook instance."
  value       = aws_sagemaker_notebook_instance.this.name
}

output "notebook_instance_arn" {
  description = "ARN of the notebook instance."
  value       = aws_sagemaker_notebook_instance.this.arn
}

output "notebook_instance_url" {
  description = "URL of the notebook (reachable through the notebook VPC endpoint or the console's presigned URL)."
  value       = aws_sagemaker_notebook_instance.this.url
}

output "security_group_ids" {
  description = "Security groups attached to the notebook."
  value       = local.security_group_ids
}

output "lifecycle_config_name" {
  description = "Lifecycle configuration attached to the notebook, or null."
  value       = local.lifecycle_config_name
}

output "vpc_endpoint_ids" {
  description = "IDs of the VPC endpoints the module created, by service key (sagemaker_api, sagemaker_runtime, notebook, s3)."
  value = merge(
    { for k, ep in aws_vpc_endpoint.interface : k => ep.id },
    { for ep in aws_vpc_endpoint.s3 : "s3" => ep.id },
  )
}
