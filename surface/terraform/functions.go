package terraform

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"math/big"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/customdecode"
	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/sagefence/sagefence/internal/bounds"
	"github.com/sagefence/sagefence/internal/safefs"
)

// fileMark on a string says it was read from this file (file(),
// filebase64(), templatefile()); lifecycle scripts keep it as Script.File.
type fileMark struct{ path string }

// newTerraformFunctions returns Terraform's function table with its file
// functions bound to files, which the caller rebinds from root to root
// (functionTable): they resolve relative paths against files.base (the root
// module directory, where terraform runs) and read only inside files.jail
// (nil: anywhere); a refused path is reported to files.outside (may be nil)
// and gives an unknown value.
func newTerraformFunctions(files *fileFuncs) (map[string]function.Function, *fileFuncs) {
	f := map[string]function.Function{
		"abs": stdlib.AbsoluteFunc, "ceil": stdlib.CeilFunc, "floor": stdlib.FloorFunc, "log": stdlib.LogFunc,
		"max": stdlib.MaxFunc, "min": stdlib.MinFunc, "parseint": stdlib.ParseIntFunc, "pow": stdlib.PowFunc,
		"signum": stdlib.SignumFunc,
		"chomp":  stdlib.ChompFunc, "format": stdlib.FormatFunc, "formatlist": stdlib.FormatListFunc,
		"indent": stdlib.IndentFunc, "join": stdlib.JoinFunc, "lower": stdlib.LowerFunc, "upper": stdlib.UpperFunc,
		"regex": stdlib.RegexFunc, "regexall": stdlib.RegexAllFunc, "replace": replaceFunc,
		"split": stdlib.SplitFunc, "strrev": stdlib.ReverseFunc, "substr": stdlib.SubstrFunc, "title": stdlib.TitleFunc,
		"trim": stdlib.TrimFunc, "trimprefix": stdlib.TrimPrefixFunc, "trimsuffix": stdlib.TrimSuffixFunc,
		"trimspace": stdlib.TrimSpaceFunc,
		"chunklist": stdlib.ChunklistFunc, "coalesce": coalesceFunc, "coalescelist": stdlib.CoalesceListFunc,
		"compact": compactFunc, "concat": stdlib.ConcatFunc, "contains": stdlib.ContainsFunc,
		"distinct": stdlib.DistinctFunc, "element": stdlib.ElementFunc, "flatten": stdlib.FlattenFunc,
		"index": indexFunc, "keys": stdlib.KeysFunc, "length": lengthFunc, "lookup": lookupFunc,
		"merge": stdlib.MergeFunc, "range": stdlib.RangeFunc, "reverse": stdlib.ReverseListFunc,
		"setintersection": stdlib.SetIntersectionFunc, "setproduct": stdlib.SetProductFunc,
		"setsubtract": stdlib.SetSubtractFunc, "setunion": stdlib.SetUnionFunc, "slice": stdlib.SliceFunc,
		"sort": stdlib.SortFunc, "values": stdlib.ValuesFunc, "zipmap": stdlib.ZipmapFunc,
		"csvdecode": stdlib.CSVDecodeFunc, "jsondecode": stdlib.JSONDecodeFunc, "jsonencode": stdlib.JSONEncodeFunc,
		"formatdate": stdlib.FormatDateFunc, "timeadd": stdlib.TimeAddFunc,
		"tobool": stdlib.MakeToFunc(cty.Bool), "tonumber": stdlib.MakeToFunc(cty.Number),
		"tostring": stdlib.MakeToFunc(cty.String), "tolist": stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
		"toset": stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)), "tomap": stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
		"try": tryFunc, "can": tryfunc.CanFunc,
		"alltrue": allTrueFunc, "anytrue": anyTrueFunc, "one": oneFunc, "sum": sumFunc,
		"startswith": startsWithFunc, "endswith": endsWithFunc, "strcontains": strContainsFunc,
		"base64encode": base64EncodeFunc, "base64decode": base64DecodeFunc,
		"textencodebase64": unknownFunc("textencodebase64", 2), "textdecodebase64": unknownFunc("textdecodebase64", 2),
		"base64gzip": unknownFunc("base64gzip", 1),
		"md5":        hashFunc(md5.New, hex.EncodeToString), "sha1": hashFunc(sha1.New, hex.EncodeToString),
		"sha256": hashFunc(sha256.New, hex.EncodeToString), "sha512": hashFunc(sha512.New, hex.EncodeToString),
		"base64sha256": hashFunc(sha256.New, base64.StdEncoding.EncodeToString),
		"base64sha512": hashFunc(sha512.New, base64.StdEncoding.EncodeToString),
		"urlencode":    urlEncodeFunc,
		"basename":     pathFunc(filepath.Base), "dirname": pathFunc(filepath.Dir),
		"abspath": pathFunc(func(p string) string {
			a, err := filepath.Abs(p)
			if err != nil {
				return p
			}
			return filepath.ToSlash(a)
		}),
		"pathexpand": pathFunc(func(p string) string { return p }),
		"cidrsubnet": cidrSubnetFunc, "cidrhost": cidrHostFunc, "cidrnetmask": cidrNetmaskFunc,
		"cidrsubnets": cidrSubnetsFunc,
		"sensitive":   sensitiveFunc, "nonsensitive": nonsensitiveFunc, "ephemeralasnull": identityFunc,
		"issensitive": function.New(&function.Spec{Params: []function.Parameter{{Name: "v", Type: cty.DynamicPseudoType, AllowUnknown: true, AllowNull: true, AllowMarked: true}},
			Type: function.StaticReturnType(cty.Bool), Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				return cty.BoolVal(args[0].HasMark(sensitiveMark{})), nil
			}}),
		"timestamp": unknownFunc("timestamp", 0), "plantimestamp": unknownFunc("plantimestamp", 0),
		"uuid": unknownFunc("uuid", 0), "uuidv5": unknownFunc("uuidv5", 2), "bcrypt": unknownFunc("bcrypt", -1),
		"rsadecrypt": unknownFunc("rsadecrypt", 2), "timecmp": unknownFunc("timecmp", 2),
		"yamlencode": unknownFunc("yamlencode", 1),
		"matchkeys":  matchKeysFunc, "transpose": unknownFunc("transpose", 1), "type": unknownFunc("type", 1),
		"templatestring": unknownFunc("templatestring", 2), "yamldecode": yamlDecodeFunc,
	}
	files.table = f
	f["file"] = files.read(false)
	f["filebase64"] = files.read(true)
	f["fileexists"] = files.exists()
	f["templatefile"] = files.template()
	f["fileset"] = files.fileset()
	for name, h := range map[string]func() hash.Hash{"filemd5": md5.New, "filesha1": sha1.New, "filesha256": sha256.New, "filesha512": sha512.New} {
		f[name] = files.hash(h, hex.EncodeToString)
	}
	f["filebase64sha256"] = files.hash(sha256.New, base64.StdEncoding.EncodeToString)
	f["filebase64sha512"] = files.hash(sha512.New, base64.StdEncoding.EncodeToString)
	return f, files
}

func stringParam(name string) function.Parameter {
	return function.Parameter{Name: name, Type: cty.String}
}

var identityFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "value", Type: cty.DynamicPseudoType, AllowUnknown: true, AllowNull: true, AllowMarked: true, AllowDynamicType: true}},
	Type:   func(args []cty.Value) (cty.Type, error) { return args[0].Type(), nil },
	Impl:   func(args []cty.Value, _ cty.Type) (cty.Value, error) { return args[0], nil },
})

// sensitiveFunc is Terraform's sensitive(): the value, marked sensitive
// (its strings are redacted from every output).
var sensitiveFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "value", Type: cty.DynamicPseudoType, AllowUnknown: true, AllowNull: true, AllowMarked: true, AllowDynamicType: true}},
	Type:   func(args []cty.Value) (cty.Type, error) { return args[0].Type(), nil },
	Impl:   func(args []cty.Value, _ cty.Type) (cty.Value, error) { return args[0].Mark(sensitiveMark{}), nil },
})

// nonsensitiveFunc is Terraform's nonsensitive(): the value without its
// top-level sensitive mark.
var nonsensitiveFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "value", Type: cty.DynamicPseudoType, AllowUnknown: true, AllowNull: true, AllowMarked: true, AllowDynamicType: true}},
	Type:   func(args []cty.Value) (cty.Type, error) { return args[0].Type(), nil },
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		v, marks := args[0].Unmark()
		delete(marks, sensitiveMark{})
		return v.WithMarks(marks), nil
	},
})

// unknownFunc is a function sagefence does not evaluate offline (time,
// randomness, encryption, ...): it returns an unknown value saying so.
// arity -1 accepts any number of arguments.
func unknownFunc(name string, arity int) function.Function {
	spec := &function.Spec{Type: function.StaticReturnType(cty.DynamicPseudoType),
		Impl: func([]cty.Value, cty.Type) (cty.Value, error) {
			return unknownBecause(cty.DynamicPseudoType, fmt.Sprintf("%s() is not evaluated before apply", name)), nil
		}}
	p := function.Parameter{Type: cty.DynamicPseudoType, AllowUnknown: true, AllowNull: true, AllowDynamicType: true, AllowMarked: true}
	if arity < 0 {
		spec.VarParam = &p
	} else {
		for i := 0; i < arity; i++ {
			q := p
			q.Name = fmt.Sprintf("arg%d", i)
			spec.Params = append(spec.Params, q)
		}
	}
	return function.New(spec)
}

var lengthFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "value", Type: cty.DynamicPseudoType, AllowDynamicType: true, AllowUnknown: true, AllowMarked: true}},
	Type:   function.StaticReturnType(cty.Number),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		v, marks := args[0].Unmark()
		ty := v.Type()
		switch {
		case ty == cty.DynamicPseudoType || !v.IsKnown():
			return cty.UnknownVal(cty.Number).WithMarks(marks), nil
		case ty == cty.String:
			return cty.NumberIntVal(int64(utf8.RuneCountInString(v.AsString()))).WithMarks(marks), nil
		case ty.IsListType() || ty.IsSetType() || ty.IsMapType() || ty.IsTupleType() || ty.IsObjectType():
			return v.Length().WithMarks(marks), nil
		}
		return cty.UnknownVal(cty.Number), fmt.Errorf("argument must be a string, a collection type, or a structural type")
	},
})

var replaceFunc = function.New(&function.Spec{
	Params: []function.Parameter{stringParam("str"), stringParam("substr"), stringParam("replace")},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		sub := args[1].AsString()
		if len(sub) > 1 && sub[0] == '/' && sub[len(sub)-1] == '/' {
			return stdlib.RegexReplace(args[0], cty.StringVal(sub[1:len(sub)-1]), args[2])
		}
		return cty.StringVal(strings.ReplaceAll(args[0].AsString(), sub, args[2].AsString())), nil
	},
})

func boolListFunc(all bool) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "list", Type: cty.List(cty.Bool)}},
		Type:   function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			result := all
			unknown := false
			for it := args[0].ElementIterator(); it.Next(); {
				_, v := it.Element()
				if !v.IsKnown() {
					unknown = true
					continue
				}
				if v.IsNull() {
					if all {
						return cty.False, nil
					}
					continue
				}
				if v.True() != all {
					return cty.BoolVal(!all), nil
				}
			}
			if unknown {
				return cty.UnknownVal(cty.Bool), nil
			}
			return cty.BoolVal(result), nil
		},
	})
}

var (
	allTrueFunc = boolListFunc(true)
	anyTrueFunc = boolListFunc(false)
)

var oneFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "list", Type: cty.DynamicPseudoType, AllowMarked: true}},
	Type: func(args []cty.Value) (cty.Type, error) {
		ty := args[0].Type()
		switch {
		case ty.IsListType() || ty.IsSetType():
			return ty.ElementType(), nil
		case ty.IsTupleType():
			ets := ty.TupleElementTypes()
			switch len(ets) {
			case 0:
				return cty.DynamicPseudoType, nil
			case 1:
				return ets[0], nil
			}
			return cty.NilType, fmt.Errorf("must be a list, set, or tuple value with either zero or one elements")
		}
		return cty.NilType, fmt.Errorf("must be a list, set, or tuple value with either zero or one elements")
	},
	Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
		v, marks := args[0].Unmark()
		if !v.IsKnown() {
			return cty.UnknownVal(retType).WithMarks(marks), nil
		}
		if v.IsNull() {
			return cty.NullVal(retType), nil
		}
		switch v.LengthInt() {
		case 0:
			return cty.NullVal(retType).WithMarks(marks), nil
		case 1:
			var out cty.Value
			for it := v.ElementIterator(); it.Next(); {
				_, out = it.Element()
			}
			return out.WithMarks(marks), nil
		}
		return cty.NilVal, fmt.Errorf("must be a list, set, or tuple value with either zero or one elements")
	},
})

var sumFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "list", Type: cty.DynamicPseudoType}},
	Type:   function.StaticReturnType(cty.Number),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		v := args[0]
		if !v.CanIterateElements() || v.LengthInt() == 0 {
			return cty.NilVal, fmt.Errorf("cannot sum an empty list or a non-collection")
		}
		total := cty.Zero
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			n, err := convert.Convert(e, cty.Number)
			if err != nil || n.IsNull() {
				return cty.NilVal, fmt.Errorf("sum requires numbers")
			}
			if !n.IsKnown() {
				return cty.UnknownVal(cty.Number), nil
			}
			total = total.Add(n)
		}
		return total, nil
	},
})

func stringPredicate(fn func(s, x string) bool) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{stringParam("str"), stringParam("x")},
		Type:   function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return cty.BoolVal(fn(args[0].AsString(), args[1].AsString())), nil
		},
	})
}

var (
	startsWithFunc  = stringPredicate(strings.HasPrefix)
	endsWithFunc    = stringPredicate(strings.HasSuffix)
	strContainsFunc = stringPredicate(strings.Contains)
)

var base64EncodeFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "str", Type: cty.String, AllowMarked: true}},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		v, marks := args[0].Unmark()
		return cty.StringVal(base64.StdEncoding.EncodeToString([]byte(v.AsString()))).WithMarks(marks), nil
	},
})

var base64DecodeFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "str", Type: cty.String, AllowMarked: true}},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		v, marks := args[0].Unmark()
		b, err := base64.StdEncoding.DecodeString(v.AsString())
		if err != nil {
			return cty.UnknownVal(cty.String), fmt.Errorf("failed to decode base64 data: %w", err)
		}
		if !utf8.Valid(b) {
			return cty.UnknownVal(cty.String), fmt.Errorf("the result of decoding the provided string is not valid UTF-8")
		}
		return cty.StringVal(string(b)).WithMarks(marks), nil
	},
})

func hashFunc(h func() hash.Hash, enc func([]byte) string) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{stringParam("str")},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			x := h()
			x.Write([]byte(args[0].AsString()))
			return cty.StringVal(enc(x.Sum(nil))), nil
		},
	})
}

var urlEncodeFunc = function.New(&function.Spec{
	Params: []function.Parameter{stringParam("str")},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.StringVal(url.QueryEscape(args[0].AsString())), nil
	},
})

func pathFunc(fn func(string) string) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{stringParam("path")},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return cty.StringVal(filepath.ToSlash(fn(filepath.FromSlash(args[0].AsString())))), nil
		},
	})
}

var matchKeysFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "values", Type: cty.List(cty.DynamicPseudoType)},
		{Name: "keys", Type: cty.List(cty.DynamicPseudoType)}, {Name: "searchset", Type: cty.List(cty.DynamicPseudoType)}},
	Type: func(args []cty.Value) (cty.Type, error) { return args[0].Type(), nil },
	Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
		if args[0].LengthInt() != args[1].LengthInt() {
			return cty.NilVal, fmt.Errorf("length of keys and values should be equal")
		}
		vals, keys := args[0].AsValueSlice(), args[1].AsValueSlice()
		var out []cty.Value
		for i, k := range keys {
			for it := args[2].ElementIterator(); it.Next(); {
				_, s := it.Element()
				if eq := k.Equals(s); eq.IsKnown() && eq.True() {
					out = append(out, vals[i])
					break
				}
			}
		}
		if len(out) == 0 {
			return cty.ListValEmpty(retType.ElementType()), nil
		}
		return cty.ListVal(out), nil
	},
})

// functionTable is the function table of one root at a time. Building one
// costs about 700 allocations, so a scan reuses tables from root to root
// (functionTables): bind points the file functions at the next root and
// refills the evaluation budget.
type functionTable struct {
	funcs  map[string]function.Function
	files  *fileFuncs
	budget budget
}

func newFunctionTable(jail *safefs.Jail) *functionTable {
	t := &functionTable{}
	t.funcs, t.files = newTerraformFunctions(&fileFuncs{jail: jail})
	withBudget(t.funcs, &t.budget)
	return t
}

// bind readies the table for a root: relative file paths resolve against
// root, refused reads are reported to outside, and the budget is full.
func (t *functionTable) bind(root string, outside func(fn, arg string, err error)) {
	t.files.base, t.files.outside = root, outside
	t.budget = budget{}
}

// functionTables hands out function tables for a scan's roots, one root
// per table at a time.
type functionTables struct{ pool sync.Pool }

func newFunctionTables(jail *safefs.Jail) *functionTables {
	return &functionTables{pool: sync.Pool{New: func() any { return newFunctionTable(jail) }}}
}

// get returns a table bound to root; put it back when the root is done.
func (ts *functionTables) get(root string, outside func(fn, arg string, err error)) *functionTable {
	t := ts.pool.Get().(*functionTable)
	t.bind(root, outside)
	return t
}

func (ts *functionTables) put(t *functionTable) {
	t.bind("", nil) // keep nothing of the root
	ts.pool.Put(t)
}

// fileFuncs are the functions reading files relative to the root directory.
// A path outside the jail is not read: the function returns an unknown value
// whose reason names the path and the scan root (outsideValue). A file that
// is not regular, or larger than maxFileFuncBytes, is an error.
type fileFuncs struct {
	base    string
	table   map[string]function.Function
	jail    *safefs.Jail
	outside func(fn, arg string, err error)
}

// maxFileFuncBytes caps one file read by a file function, and the result of
// templatefile (a lifecycle script is at most 16 KiB in SageMaker).
const maxFileFuncBytes = 4 << 20

func (ff *fileFuncs) path(p string) string {
	p = filepath.FromSlash(p)
	if strings.HasPrefix(p, "~") {
		return p
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(ff.base, p)
	}
	return filepath.Clean(p)
}

// readFile reads a file function's argument. An *safefs.OutsideError is
// returned as it is, for outsideValue.
func (ff *fileFuncs) readFile(p string) ([]byte, string, error) {
	full := ff.path(p)
	if _, err := ff.jail.Check(full); errors.Is(err, safefs.ErrOutside) {
		return nil, full, err
	}
	b, err := ff.jail.ReadFile(full, maxFileFuncBytes)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, full, fmt.Errorf("no file exists at %q: %s", p, describeFSError(err))
		}
		return nil, full, fmt.Errorf("%q not read: %s", p, describeFSError(err))
	}
	return b, full, nil
}

// outsideValue turns a read refused by the jail into an unknown value of
// type ty naming the function, the path and why (and reports it to
// ff.outside); other errors are returned.
func (ff *fileFuncs) outsideValue(fn string, ty cty.Type, arg string, err error) (cty.Value, error) {
	var oe *safefs.OutsideError
	if errors.As(err, &oe) {
		if ff.outside != nil {
			ff.outside(fn, arg, oe)
		}
		return unknownBecause(ty, fmt.Sprintf("%s(%q) was not read: %s", fn, arg, oe.Error())), nil
	}
	return cty.UnknownVal(ty), err
}

func (ff *fileFuncs) read(asBase64 bool) function.Function {
	name := "file"
	if asBase64 {
		name = "filebase64"
	}
	return function.New(&function.Spec{
		Params: []function.Parameter{stringParam("path")},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			b, full, err := ff.readFile(args[0].AsString())
			if err != nil {
				return ff.outsideValue(name, cty.String, args[0].AsString(), err)
			}
			if asBase64 {
				return cty.StringVal(base64.StdEncoding.EncodeToString(b)).Mark(fileMark{full}), nil
			}
			if !utf8.Valid(b) {
				return cty.UnknownVal(cty.String), fmt.Errorf("contents of %q are not valid UTF-8; use filebase64 instead", args[0].AsString())
			}
			return cty.StringVal(string(b)).Mark(fileMark{full}), nil
		},
	})
}

func (ff *fileFuncs) exists() function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{stringParam("path")},
		Type:   function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			real, err := ff.jail.Check(ff.path(args[0].AsString()))
			if errors.Is(err, safefs.ErrOutside) {
				return ff.outsideValue("fileexists", cty.Bool, args[0].AsString(), err)
			}
			if err != nil {
				return cty.False, nil
			}
			st, err := os.Stat(real)
			if err != nil {
				return cty.False, nil
			}
			if st.IsDir() {
				return cty.False, fmt.Errorf("%q is a directory, not a file", args[0].AsString())
			}
			return cty.True, nil
		},
	})
}

func (ff *fileFuncs) hash(h func() hash.Hash, enc func([]byte) string) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{stringParam("path")},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			b, _, err := ff.readFile(args[0].AsString())
			if err != nil {
				return ff.outsideValue("file hash", cty.String, args[0].AsString(), err)
			}
			x := h()
			x.Write(b)
			return cty.StringVal(enc(x.Sum(nil))), nil
		},
	})
}

// template implements templatefile(path, vars): the file is a template
// evaluated with only the given variables and the functions (templatefile
// itself excluded, as in Terraform).
func (ff *fileFuncs) template() function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{stringParam("path"), {Name: "vars", Type: cty.DynamicPseudoType, AllowMarked: true}},
		Type:   function.StaticReturnType(cty.DynamicPseudoType),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			b, full, err := ff.readFile(args[0].AsString())
			if err != nil {
				return ff.outsideValue("templatefile", cty.DynamicPseudoType, args[0].AsString(), err)
			}
			if err := bounds.CheckDepth(b, bounds.HCLTemplate); err != nil {
				return cty.DynamicVal, fmt.Errorf("template %s: %w", args[0].AsString(), err)
			}
			expr, diags := hclsyntax.ParseTemplate(b, full, hcl.InitialPos)
			if diags.HasErrors() {
				return cty.DynamicVal, fmt.Errorf("template %s: %s", args[0].AsString(), diags.Error())
			}
			varsVal, marks := args[1].Unmark()
			vars := map[string]cty.Value{}
			if !varsVal.IsKnown() {
				return cty.DynamicVal.WithMarks(marks), nil
			}
			if !varsVal.IsNull() {
				if !varsVal.Type().IsObjectType() && !varsVal.Type().IsMapType() {
					return cty.DynamicVal, fmt.Errorf("templatefile vars must be a map or object")
				}
				for it := varsVal.ElementIterator(); it.Next(); {
					k, v := it.Element()
					vars[k.AsString()] = v
				}
			}
			funcs := make(map[string]function.Function, len(ff.table))
			for n, fn := range ff.table {
				if n != "templatefile" {
					funcs[n] = fn
				}
			}
			v, diags := expr.Value(&hcl.EvalContext{Variables: vars, Functions: funcs})
			if diags.HasErrors() {
				return cty.DynamicVal, fmt.Errorf("template %s: %s", args[0].AsString(), diags.Error())
			}
			if u, _ := v.Unmark(); u.IsKnown() && u.Type() == cty.String && !u.IsNull() && len(u.AsString()) > maxFileFuncBytes {
				return cty.DynamicVal, fmt.Errorf("templatefile(%q) renders more than %s: not evaluated", args[0].AsString(), safefs.Human(maxFileFuncBytes))
			}
			return v.WithMarks(marks).Mark(fileMark{full}), nil
		},
	})
}

// CIDR functions, IPv4 and IPv6, computed with exact integer arithmetic.

func parsePrefix(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("invalid CIDR expression: %w", err)
	}
	return p.Masked(), nil
}

func addrToInt(a netip.Addr) *big.Int { return new(big.Int).SetBytes(a.AsSlice()) }

func intToAddr(n *big.Int, is4 bool) (netip.Addr, bool) {
	size := 16
	if is4 {
		size = 4
	}
	if n.Sign() < 0 || n.BitLen() > size*8 {
		return netip.Addr{}, false
	}
	b := make([]byte, size)
	n.FillBytes(b)
	a, ok := netip.AddrFromSlice(b)
	return a, ok
}

func subnet(prefix string, newbits, netnum int64) (string, error) {
	p, err := parsePrefix(prefix)
	if err != nil {
		return "", err
	}
	total := p.Addr().BitLen()
	newLen := int64(p.Bits()) + newbits
	if newbits < 0 || newLen > int64(total) {
		return "", fmt.Errorf("insufficient address space to extend prefix of %d by %d", p.Bits(), newbits)
	}
	max := new(big.Int).Lsh(big.NewInt(1), uint(newbits))
	if netnum < 0 || big.NewInt(netnum).Cmp(max) >= 0 {
		return "", fmt.Errorf("prefix extension of %d does not accommodate a subnet numbered %d", newbits, netnum)
	}
	n := addrToInt(p.Addr())
	n.Or(n, new(big.Int).Lsh(big.NewInt(netnum), uint(int64(total)-newLen)))
	a, ok := intToAddr(n, p.Addr().Is4())
	if !ok {
		return "", fmt.Errorf("address out of range")
	}
	return netip.PrefixFrom(a, int(newLen)).String(), nil
}

func numArg(v cty.Value) (int64, error) {
	i, acc := v.AsBigFloat().Int64()
	if acc != 0 {
		return 0, fmt.Errorf("a whole number is required")
	}
	return i, nil
}

var cidrSubnetFunc = function.New(&function.Spec{
	Params: []function.Parameter{stringParam("prefix"), {Name: "newbits", Type: cty.Number}, {Name: "netnum", Type: cty.Number}},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		nb, err := numArg(args[1])
		if err != nil {
			return cty.UnknownVal(cty.String), err
		}
		nn, err := numArg(args[2])
		if err != nil {
			return cty.UnknownVal(cty.String), err
		}
		s, err := subnet(args[0].AsString(), nb, nn)
		if err != nil {
			return cty.UnknownVal(cty.String), err
		}
		return cty.StringVal(s), nil
	},
})

var cidrSubnetsFunc = function.New(&function.Spec{
	Params:   []function.Parameter{stringParam("prefix")},
	VarParam: &function.Parameter{Name: "newbits", Type: cty.Number},
	Type:     function.StaticReturnType(cty.List(cty.String)),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		p, err := parsePrefix(args[0].AsString())
		if err != nil {
			return cty.UnknownVal(cty.List(cty.String)), err
		}
		if len(args) == 1 {
			return cty.ListValEmpty(cty.String), nil
		}
		total := p.Addr().BitLen()
		cur := addrToInt(p.Addr())
		end := new(big.Int).Add(addrToInt(p.Addr()), new(big.Int).Lsh(big.NewInt(1), uint(total-p.Bits())))
		var out []cty.Value
		for _, a := range args[1:] {
			nb, err := numArg(a)
			if err != nil {
				return cty.UnknownVal(cty.List(cty.String)), err
			}
			length := int64(p.Bits()) + nb
			if nb < 1 || length > int64(total) {
				return cty.UnknownVal(cty.List(cty.String)), fmt.Errorf("invalid newbits %d for prefix /%d", nb, p.Bits())
			}
			size := new(big.Int).Lsh(big.NewInt(1), uint(int64(total)-length))
			// align the cursor to the subnet size
			rem := new(big.Int).Mod(cur, size)
			if rem.Sign() != 0 {
				cur.Add(cur, new(big.Int).Sub(size, rem))
			}
			next := new(big.Int).Add(cur, size)
			if next.Cmp(end) > 0 {
				return cty.UnknownVal(cty.List(cty.String)), fmt.Errorf("not enough remaining address space for a subnet with a prefix of %d bits", length)
			}
			addr, ok := intToAddr(cur, p.Addr().Is4())
			if !ok {
				return cty.UnknownVal(cty.List(cty.String)), fmt.Errorf("address out of range")
			}
			out = append(out, cty.StringVal(netip.PrefixFrom(addr, int(length)).String()))
			cur = next
		}
		return cty.ListVal(out), nil
	},
})

var cidrHostFunc = function.New(&function.Spec{
	Params: []function.Parameter{stringParam("prefix"), {Name: "hostnum", Type: cty.Number}},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		p, err := parsePrefix(args[0].AsString())
		if err != nil {
			return cty.UnknownVal(cty.String), err
		}
		hn, acc := args[1].AsBigFloat().Int(nil)
		if acc != big.Exact {
			return cty.UnknownVal(cty.String), fmt.Errorf("a whole number is required")
		}
		hostBits := uint(p.Addr().BitLen() - p.Bits())
		size := new(big.Int).Lsh(big.NewInt(1), hostBits)
		if hn.Sign() < 0 {
			hn.Add(hn, size)
		}
		if hn.Sign() < 0 || hn.Cmp(size) >= 0 {
			return cty.UnknownVal(cty.String), fmt.Errorf("prefix of %d does not accommodate a host numbered %s", p.Bits(), args[1].AsBigFloat().String())
		}
		n := addrToInt(p.Addr())
		n.Or(n, hn)
		a, ok := intToAddr(n, p.Addr().Is4())
		if !ok {
			return cty.UnknownVal(cty.String), fmt.Errorf("address out of range")
		}
		return cty.StringVal(a.String()), nil
	},
})

var cidrNetmaskFunc = function.New(&function.Spec{
	Params: []function.Parameter{stringParam("prefix")},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		p, err := parsePrefix(args[0].AsString())
		if err != nil {
			return cty.UnknownVal(cty.String), err
		}
		if !p.Addr().Is4() {
			return cty.UnknownVal(cty.String), fmt.Errorf("IPv6 addresses cannot have a netmask: %s", args[0].AsString())
		}
		mask := uint32(0xffffffff) << (32 - uint(p.Bits()))
		if p.Bits() == 0 {
			mask = 0
		}
		return cty.StringVal(fmt.Sprintf("%d.%d.%d.%d", mask>>24, mask>>16&0xff, mask>>8&0xff, mask&0xff)), nil
	},
})

// lookupFunc is Terraform's lookup: the default may be null or unknown,
// and objects are accepted as maps.
var lookupFunc = function.New(&function.Spec{
	Params: []function.Parameter{
		{Name: "inputMap", Type: cty.DynamicPseudoType, AllowMarked: true},
		{Name: "key", Type: cty.String, AllowMarked: true},
	},
	VarParam: &function.Parameter{Name: "default", Type: cty.DynamicPseudoType, AllowUnknown: true, AllowDynamicType: true, AllowNull: true, AllowMarked: true},
	Type:     function.StaticReturnType(cty.DynamicPseudoType),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		if len(args) > 3 {
			return cty.NilVal, fmt.Errorf("lookup() takes no more than three arguments")
		}
		m, mapMarks := args[0].Unmark()
		k, keyMarks := args[1].Unmark()
		if !m.IsKnown() || !k.IsKnown() {
			return cty.DynamicVal.WithMarks(mapMarks, keyMarks), nil
		}
		ty := m.Type()
		if !(ty.IsMapType() || ty.IsObjectType()) {
			return cty.NilVal, fmt.Errorf("lookup() requires a map or an object as the first argument")
		}
		key := k.AsString()
		if ty.IsObjectType() {
			if ty.HasAttribute(key) {
				return m.GetAttr(key).WithMarks(mapMarks, keyMarks), nil
			}
		} else if hv := m.HasIndex(k); hv.IsKnown() && hv.True() {
			return m.Index(k).WithMarks(mapMarks, keyMarks), nil
		}
		if len(args) == 3 {
			return args[2].WithMarks(mapMarks, keyMarks), nil
		}
		return cty.NilVal, fmt.Errorf("lookup failed to find key %q", key)
	},
})

// coalesceFunc is Terraform's coalesce: the first argument that is neither
// null nor an empty string.
var coalesceFunc = function.New(&function.Spec{
	VarParam: &function.Parameter{Name: "vals", Type: cty.DynamicPseudoType, AllowUnknown: true, AllowDynamicType: true, AllowNull: true, AllowMarked: true},
	Type: func(args []cty.Value) (cty.Type, error) {
		types := make([]cty.Type, len(args))
		for i, a := range args {
			types[i] = a.Type()
		}
		ty, _ := convert.UnifyUnsafe(types)
		if ty == cty.NilType {
			return cty.NilType, fmt.Errorf("all arguments must have the same type")
		}
		return ty, nil
	},
	Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
		for _, a := range args {
			v, err := convert.Convert(a, retType)
			if err != nil {
				return cty.NilVal, err
			}
			u, marks := v.Unmark()
			if !u.IsKnown() {
				return cty.UnknownVal(retType).WithMarks(marks), nil
			}
			if u.IsNull() || (retType == cty.String && u.AsString() == "") {
				continue
			}
			return v, nil
		}
		return cty.NilVal, fmt.Errorf("no non-null, non-empty-string arguments")
	},
})

// indexFunc is Terraform's index(list, value): the position of value.
var indexFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "list", Type: cty.DynamicPseudoType}, {Name: "value", Type: cty.DynamicPseudoType}},
	Type:   function.StaticReturnType(cty.Number),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		l := args[0]
		if !(l.Type().IsListType() || l.Type().IsTupleType()) {
			return cty.NilVal, fmt.Errorf("argument must be a list or tuple")
		}
		if !l.IsKnown() {
			return cty.UnknownVal(cty.Number), nil
		}
		for it := l.ElementIterator(); it.Next(); {
			i, v := it.Element()
			eq, err := stdlib.Equal(v, args[1])
			if err != nil {
				return cty.NilVal, err
			}
			if !eq.IsKnown() {
				return cty.UnknownVal(cty.Number), nil
			}
			if eq.True() {
				return i, nil
			}
		}
		return cty.NilVal, fmt.Errorf("item not found")
	},
})

// tryFunc is Terraform's try. Unlike hcl's tryfunc, an argument whose value
// is partly unknown is returned as it is (not as a bare unknown), so that
// try(aws_x.y[0].id, "") keeps the reference to aws_x.y[0] and the reason.
var tryFunc = function.New(&function.Spec{
	VarParam: &function.Parameter{Name: "expressions", Type: customdecode.ExpressionClosureType},
	Type: func(args []cty.Value) (cty.Type, error) {
		v, err := tryValue(args)
		if err != nil {
			return cty.NilType, err
		}
		return v.Type(), nil
	},
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) { return tryValue(args) },
})

func tryValue(args []cty.Value) (cty.Value, error) {
	if len(args) == 0 {
		return cty.NilVal, fmt.Errorf("at least one argument is required")
	}
	var msgs []string
	for _, arg := range args {
		v, diags := customdecode.ExpressionClosureFromVal(arg).Value()
		if diags.HasErrors() {
			for _, d := range diags {
				msgs = append(msgs, d.Summary+": "+d.Detail)
			}
			continue
		}
		return v, nil
	}
	return cty.NilVal, fmt.Errorf("no expression succeeded: %s", strings.Join(msgs, "; "))
}

// fileset implements fileset(path, pattern): the files under path (relative
// to it, slash-separated, sorted) matching a glob where * and ? stay inside
// one path segment, ** spans segments and {a,b} is an alternation.
func (ff *fileFuncs) fileset() function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{stringParam("path"), stringParam("pattern")},
		Type:   function.StaticReturnType(cty.Set(cty.String)),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			base := ff.path(args[0].AsString())
			if _, err := ff.jail.Check(base); errors.Is(err, safefs.ErrOutside) {
				return ff.outsideValue("fileset", cty.Set(cty.String), args[0].AsString(), err)
			}
			re, err := globRegexp(args[1].AsString())
			if err != nil {
				return cty.UnknownVal(cty.Set(cty.String)), err
			}
			var out []cty.Value
			const maxFiles = 10000
			err = filepath.WalkDir(base, func(p string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return nil
				}
				rel, rerr := filepath.Rel(base, p)
				if rerr != nil {
					return nil
				}
				rel = filepath.ToSlash(rel)
				if re.MatchString(rel) {
					out = append(out, cty.StringVal(rel))
					if len(out) > maxFiles {
						return fmt.Errorf("more than %d files match", maxFiles)
					}
				}
				return nil
			})
			if err != nil {
				return cty.UnknownVal(cty.Set(cty.String)), err
			}
			if len(out) == 0 {
				return cty.SetValEmpty(cty.String), nil
			}
			return cty.SetVal(out), nil
		},
	})
}

// globRegexp translates a fileset pattern into an anchored regular expression.
func globRegexp(pattern string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	inAlt := 0
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch {
		case c == '*' && i+1 < len(pattern) && pattern[i+1] == '*':
			i++
			if i+1 < len(pattern) && pattern[i+1] == '/' {
				i++
				b.WriteString("(?:.*/)?")
			} else {
				b.WriteString(".*")
			}
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		case c == '{':
			inAlt++
			b.WriteString("(?:")
		case c == '}' && inAlt > 0:
			inAlt--
			b.WriteString(")")
		case c == ',' && inAlt > 0:
			b.WriteString("|")
		case c == '[':
			j := strings.IndexByte(pattern[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("invalid pattern %q: unterminated [", pattern)
			}
			class := pattern[i+1 : i+j]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + class + "]")
			i += j
		case c == '\\' && i+1 < len(pattern):
			i++
			b.WriteString(regexp.QuoteMeta(string(pattern[i])))
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	if inAlt > 0 {
		return nil, fmt.Errorf("invalid pattern %q: unterminated {", pattern)
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

// compactFunc is Terraform's compact, with one refinement: an unknown
// element that is a resource's identifier (it carries a refMark) is kept,
// because a resource ID is never empty; any other unknown element makes the
// result unknown, as in Terraform.
var compactFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "list", Type: cty.List(cty.String), AllowMarked: true}},
	Type:   function.StaticReturnType(cty.List(cty.String)),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		list, marks := args[0].Unmark()
		if !list.IsKnown() {
			return cty.UnknownVal(cty.List(cty.String)).WithMarks(marks), nil
		}
		var out []cty.Value
		for it := list.ElementIterator(); it.Next(); {
			_, v := it.Element()
			u, elemMarks := v.Unmark()
			switch {
			case !u.IsKnown():
				if len(topMarks(v).refs) == 0 {
					return cty.UnknownVal(cty.List(cty.String)).WithMarks(marks, elemMarks), nil
				}
				out = append(out, v)
			case u.IsNull() || u.AsString() == "":
			default:
				out = append(out, v)
			}
		}
		if len(out) == 0 {
			return cty.ListValEmpty(cty.String).WithMarks(marks), nil
		}
		return cty.ListVal(out).WithMarks(marks), nil
	},
})
