package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

// maxJSONBody bounds a JSON request body.
const maxJSONBody = 1 << 20

// bindJSON decodes the request body into v, refusing unknown fields,
// trailing data and bodies over 1 MiB with a Chinese message.
func bindJSON(c *gin.Context, v any) error {
	if ct := c.ContentType(); ct != "" && ct != "application/json" {
		return badRequest("请求体必须是 JSON（Content-Type: application/json）")
	}
	dec := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, maxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return badRequest("请求体 JSON 之后还有多余内容")
	}
	return nil
}

// bindOptionalJSON is bindJSON for a request whose body may be left out:
// with no body, v keeps its zero fields.
func bindOptionalJSON(c *gin.Context, v any) error {
	if c.Request.ContentLength == 0 {
		return nil
	}
	return bindJSON(c, v)
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	var re *requestError
	switch {
	case errors.As(err, &re):
		return re
	case errors.Is(err, io.EOF):
		return badRequest("请求体为空，需要 JSON")
	case errors.As(err, &syn), errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("请求体不是有效的 JSON")
	case errors.As(err, &typ):
		return badRequest(fmt.Sprintf("字段 %s 的类型错误（应为 %s）", typ.Field, typ.Type))
	case errors.As(err, &tooBig):
		return badRequest("请求体过大")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return badRequest("未知字段 " + strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return badRequest("请求体不是有效的 JSON")
}

// pathID parses the path parameter name as a positive integer.
func pathID(c *gin.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest(fmt.Sprintf("路径参数 %s 必须是正整数", name))
	}
	return id, nil
}

// queryInt parses an optional integer query parameter.
func queryInt(c *gin.Context, name string) (int64, error) {
	v := c.Query(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, badRequest(fmt.Sprintf("查询参数 %s 必须是非负整数", name))
	}
	return n, nil
}
