// Package terraform is the Terraform source surface: it evaluates .tf and
// .tf.json configurations the way Terraform does (HCL native and JSON syntax,
// cty values, Terraform's functions) and fills one model.Set per root module.
//
// # Roots and modules
//
// Every scan argument that holds .tf files is a root module. Any other
// directory with .tf files is a root too, unless a root of the same scan calls
// it (directly or through other modules) with a local source; its resources
// are then reported only through that call, with the module address
// (module.nb["a"].aws_sagemaker_notebook_instance.this[0]). Local sources
// ("./x", "../x") are read from disk; registry and git sources are read from
// the directory `terraform init` recorded in <root>/.terraform/modules/modules.json.
// Nothing is downloaded unless surface.Options.Modules is set (scan
// --download-modules, internal/modfetch); a module that is neither on disk nor
// downloaded becomes one model.Gap (kind module_not_downloaded, hiding every
// kind) whose reason names the cause (not on disk, or the download error) and
// whose hint tells the user to run `terraform init`.
//
// # Values
//
// Variables take Terraform's precedence: default < TF_VAR_name < terraform.tfvars
// < terraform.tfvars.json < *.auto.tfvars(.json) in lexical order < --var-file
// and --var in command-line order. Values are converted to the declared type
// (optional() attributes and their defaults included); nullable = false turns
// a null into the default. locals, conditionals, for expressions, splats,
// templates, count/for_each, dynamic blocks and the Terraform functions are
// evaluated; path.module and path.root are relative to the root directory and
// file functions resolve relative paths against it, as when terraform runs there.
//
// What is known and what is not:
//   - an attribute written in the configuration is known when everything it
//     depends on is known;
//   - a computed attribute (id, arn, any attribute not written) is unknown
//     until apply; a reference to a resource's id, arn or name keeps the
//     referenced resource's address as model.Str.Ref, through lists, locals,
//     variables and module outputs;
//   - a data source is read at apply: its attributes are unknown, with a reason
//     naming data.TYPE.NAME;
//   - an unknown string written as a template ("com.amazonaws.${data.aws_region.current.name}.s3",
//     format("...%s...", x)) keeps its template text in model.Str.V (known
//     parts rendered, unknown interpolations as ${source}) while staying Unknown;
//   - a variable with no value is unknown, with a reason naming it;
//   - an unknown count or for_each yields a model.Gap (unknown_count,
//     unknown_for_each) naming the expression and hiding the resource's kind;
//     on a network resource (endpoint, route, association, egress rule) it
//     instead leaves what the instances would attach to incomplete (an
//     endpoint of unknown service, a route table or a group's egress marked
//     incomplete), so that the notebooks' network controls are unknown; on a
//     subnet, route table, NAT gateway or security group the Gap hides that
//     kind, which only the network-dependent controls read;
//   - functions that cannot be evaluated offline (timestamp, uuid, bcrypt,
//     yamlencode, ...) return unknown values; nothing is ever guessed. Two
//     deliberate refinements over Terraform's plan-time behaviour: try() returns
//     a partly unknown argument as it is (keeping its references) instead of a
//     bare unknown, and compact() keeps an unknown element that is a resource
//     ID (an ID is never empty).
//
// Override files (override.tf, *_override.tf) are merged as Terraform merges
// them; Terraform 0.11 quoted type constraints ("string", "list", "map") are
// read as 0.12 read them. Only the resource types the model holds are
// evaluated eagerly; every other resource is evaluated when something refers
// to it.
//
// Every unknown carries the reason it is unknown; Provenance says, as data,
// where a non-literal value came from: one model.Step per reference (var.x's
// default, tfvars or terraform.tfvars.json line, -var-file, -var, TF_VAR_,
// a module argument holding its own inputs, local.x, each.value holding the
// for_each's provenance), wrapped in an expression step when the attribute
// computes its value from them (a conditional, an interpolation). Files in
// provenance and reasons are named by the path the scan reached them, as
// model.Range.File.
//
// # Suppressions
//
// Comments inside a resource block, or in the comment lines directly above it,
// suppress findings on every instance of that resource (count and for_each
// included). A suppression written on a module block applies to every resource
// inside that module call. Accepted forms:
//
//	#checkov:skip=CKV_AWS_122:reason          (also "# checkov:skip=...")
//	#trivy:ignore:CKV_AWS_122[:exp:2027-01-31]
//	#tfsec:ignore:ID[:exp:YYYY-MM-DD]
//	# sagefence:ignore ID[,ID...] [until=YYYY-MM-DD] reason text
//
// IDs are any control ID or alias; the engine matches them. A malformed date
// is a model.Error naming the file and line.
//
// # Errors
//
// A file that does not parse is a model.Error with file and line; the other
// files and roots are still evaluated. Evaluation errors (an unknown function,
// a type mismatch) are model.Errors too, and the affected value is unknown.
package terraform
