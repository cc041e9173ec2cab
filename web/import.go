package web

import (
	"errors"
	"io"
	"net/http"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/gin-gonic/gin"
)

// importExperts imports experts from a CSV file, sent either as the field
// "file" of a multipart form or as the request body (Content-Type
// text/csv). If any row is bad nothing is imported and the answer is 422
// with every problem, by line and column, in error.rows.
func (s *Server) importExperts(c *gin.Context) {
	var r io.Reader
	switch c.ContentType() {
	case "multipart/form-data":
		fh, err := c.FormFile("file")
		if err != nil {
			s.writeError(c, badRequest("请在表单字段 file 中上传 CSV 文件"))
			return
		}
		f, err := fh.Open()
		if err != nil {
			s.writeError(c, err)
			return
		}
		defer f.Close()
		r = f
	case "text/csv", "application/csv", "text/plain", "application/octet-stream":
		r = http.MaxBytesReader(c.Writer, c.Request.Body, expertpool.MaxImportBytes+1)
	default:
		s.writeError(c, badRequest("请以 multipart/form-data（字段 file）或 text/csv 上传 CSV 文件"))
		return
	}
	rep, err := s.p.Pool.ImportExperts(c.Request.Context(), me(c).Actor(), r)
	if err != nil {
		if errors.Is(err, expertpool.ErrInvalid) && len(rep.Errors) > 0 {
			status, body := classify(err)
			body.Rows = rep.Errors
			c.AbortWithStatusJSON(status, apiError{Error: body})
			return
		}
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, rep)
}
